/* Port of plugins/vvs_alerts/sms_length.py: the SMS counter under the alert text. */
(function (root) {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function smsLength(text) {
    text = text || "";
    var gsm = true, septets = 0, i, c;
    for (i = 0; i < text.length; i++) {
      c = text.charAt(i);
      if (BASIC.indexOf(c) >= 0) { septets += 1; }
      else if (EXTENDED.indexOf(c) >= 0) { septets += 2; }
      else { gsm = false; break; }
    }
    var units, single, part, encoding;
    if (gsm) { units = septets; single = 160; part = 153; encoding = "GSM-7"; }
    else { units = text.length; single = 70; part = 67; encoding = "UCS-2"; }  // JS strings are UTF-16
    if (units <= single) {
      return {encoding: encoding, units: units, segments: units ? 1 : 0, perSegment: single, remaining: single - units};
    }
    var segments = Math.ceil(units / part);
    return {encoding: encoding, units: units, segments: segments, perSegment: part, remaining: segments * part - units};
  }

  root.vvsSmsLength = smsLength;
  if (typeof module !== "undefined") { module.exports = smsLength; }
}(typeof window !== "undefined" ? window : this));
