"""French first, English available: catalogs, locale choice, the translation factory."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("vvs")

LOCALES = ("fr", "en")


def locale_negotiator(request):
    """?_LOCALE_=xx (remembered in a cookie), then the cookie, then French."""
    asked = request.params.get("_LOCALE_")
    if asked in LOCALES:
        request.add_response_callback(
            lambda req, resp: resp.set_cookie("_LOCALE_", asked, max_age=365 * 86400, samesite="Lax", httponly=True))
        return asked
    cookie = request.cookies.get("_LOCALE_")
    if cookie in LOCALES:
        return cookie
    return request.registry.settings.get("pyramid.default_locale_name", "fr")


def includeme(config):
    config.add_translation_dirs("colander:locale", "deform:locale", "vvs_core:locale")
    config.set_locale_negotiator(locale_negotiator)


def format_number(value) -> str:
    """A count as French readers write it (« 12 345 »: Babel, fr_FR); the templates' ``number``."""
    from vvs_core.web.french import number

    return number(value or 0)
