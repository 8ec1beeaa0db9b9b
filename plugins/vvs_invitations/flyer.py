"""The printable A5 invitation flyer: the community's name, a QR code and the link."""
from __future__ import annotations

import io

import qrcode
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

BRAND = HexColor("#0b5394")
ALERT = HexColor("#a4161a")


def qr_png(url: str) -> bytes:
    qr = qrcode.QRCode(border=2, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def _centred_lines(pdf, text: str, y: float, font: str, size: int, width: float, leading: float) -> float:
    """Draw ``text`` centred, wrapped to ``width``; return the y below it."""
    from reportlab.lib.utils import simpleSplit

    from vvs_core.web.pdf import fonts, plain

    if not font.startswith("Courier"):
        font = fonts()[1] if "Bold" in font else fonts()[0]
    for line in simpleSplit(plain(text), font, size, width):
        pdf.setFont(font, size)
        pdf.drawCentredString(A5[0] / 2, y, line)
        y -= leading
    return y


def flyer_pdf(*, site_name: str, community_name: str, commune_name: str, url: str, sender_name: str = "") -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A5)
    pdf.setTitle(f"Invitation — {community_name}")
    width, height = A5
    margin = 14 * mm
    text_width = width - 2 * margin
    pdf.setFillColor(BRAND)
    pdf.rect(0, height - 30 * mm, width, 30 * mm, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#ffffff"))
    _centred_lines(pdf, site_name, height - 17 * mm, "Helvetica-Bold", 17, text_width, 20)
    pdf.setFillColor(HexColor("#1b1f24"))
    y = height - 44 * mm
    y = _centred_lines(pdf, "Rejoignez vos voisins de la communauté", y, "Helvetica", 13, text_width, 17)
    y = _centred_lines(pdf, f"« {community_name} »", y - 2, "Helvetica-Bold", 18, text_width, 22)
    y = _centred_lines(pdf, commune_name, y, "Helvetica", 12, text_width, 16)
    y -= 4 * mm
    y = _centred_lines(pdf, "Des voisins qui veillent les uns sur les autres, se préviennent par SMS "
                            "en cas de problème et s'entraident au quotidien.", y, "Helvetica", 11, text_width, 14)
    side = 62 * mm
    y -= side + 4 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(url))), (width - side) / 2, y, side, side)
    y -= 8 * mm
    y = _centred_lines(pdf, "Scannez le code ou ouvrez ce lien pour vous inscrire :", y, "Helvetica", 10, text_width, 13)
    y = _centred_lines(pdf, url, y, "Courier-Bold", 9, text_width, 12)
    if sender_name:
        _centred_lines(pdf, f"Invitation de {sender_name}", y - 3 * mm, "Helvetica-Oblique", 10, text_width, 13)
    pdf.setFillColor(ALERT)
    pdf.rect(0, 0, width, 16 * mm, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#ffffff"))
    _centred_lines(pdf, "En cas d'urgence, appelez le 17", 6.5 * mm, "Helvetica-Bold", 15, text_width, 18)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
