/* A signed credential checked in the browser, without the server.
 *
 * A credential is "SM1:" + Base45(zlib(COSE_Sign1(CWT))), signed ES256 (see
 * credentials/cose.py). This file undoes each layer — Base45 (RFC 9285), zlib via
 * DecompressionStream("deflate"), the small part of CBOR (RFC 8949) that COSE_Sign1 and the
 * CWT use — rebuilds the COSE Sig_structure and checks the raw r||s signature with WebCrypto
 * against the published keys (SPKI DER).
 *
 * ShoumenCredential.check(text, {keys, claim, fields, now}) resolves to
 *   {ok: true, claims} or {ok: false, reason, detail, claims|null}
 * where claims = {body: {field: value}, issuedAt, expiresAt, kid} for the private claim
 * ``claim`` (-70001 a resident pass, -70002 a resumption confirmation) whose string ``fields``
 * must all be there; reason is malformed, unknown_key, bad_signature, expired, or
 * "unavailable" when this browser cannot check offline (no WebCrypto outside a secure
 * context, or no DecompressionStream). Revocation is the caller's rule.
 */
(function (root) {
  "use strict";

  var PREFIX = "SM1:";
  var BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  var ALG_ES256 = -7;
  var COSE_SIGN1_TAG = 18;
  var HEADER_ALG = 1, HEADER_KID = 4;
  var CLAIM_EXP = 4, CLAIM_IAT = 6;

  function Refusal(reason, detail) {
    this.reason = reason;
    this.detail = detail || "";
  }

  function refuse(reason, detail) {
    throw new Refusal(reason, detail);
  }

  // --- Base45 -------------------------------------------------------------------------------

  function base45Decode(text) {
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.slice(i, i + 3);
      var values = [];
      for (var j = 0; j < chunk.length; j++) {
        var v = BASE45.indexOf(chunk.charAt(j));
        if (v < 0) refuse("malformed", "not Base45");
        values.push(v);
      }
      if (values.length === 3) {
        var n = values[0] + values[1] * 45 + values[2] * 2025;
        if (n > 0xffff) refuse("malformed", "not Base45");
        out.push(n >> 8, n & 0xff);
      } else if (values.length === 2) {
        var m = values[0] + values[1] * 45;
        if (m > 0xff) refuse("malformed", "not Base45");
        out.push(m);
      } else {
        refuse("malformed", "not Base45");
      }
    }
    return new Uint8Array(out);
  }

  // --- zlib ---------------------------------------------------------------------------------

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(
      function (buffer) { return new Uint8Array(buffer); },
      function () { refuse("malformed", "not a compressed COSE message"); });
  }

  // --- CBOR: the subset COSE_Sign1 and CWT use ------------------------------------------------

  function Tagged(tag, value) {
    this.tag = tag;
    this.value = value;
  }

  function halfFloat(bits) {
    var exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
    var sign = bits & 0x8000 ? -1 : 1;
    if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
  }

  function cborDecode(bytes) {
    var pos = 0;
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var utf8 = new TextDecoder("utf-8", {fatal: true});

    function need(n) {
      if (pos + n > bytes.length) refuse("malformed", "truncated CBOR");
    }

    function argument(info) {
      var v;
      if (info < 24) return info;
      if (info === 24) { need(1); return bytes[pos++]; }
      if (info === 25) { need(2); v = view.getUint16(pos); pos += 2; return v; }
      if (info === 26) { need(4); v = view.getUint32(pos); pos += 4; return v; }
      if (info === 27) {
        need(8);
        var high = view.getUint32(pos), low = view.getUint32(pos + 4);
        pos += 8;
        if (high > 0x1fffff) refuse("malformed", "CBOR integer too large");
        return high * 4294967296 + low;
      }
      return refuse("malformed", "unsupported CBOR item");  // reserved or indefinite length
    }

    function item(depth) {
      if (depth > 16) refuse("malformed", "CBOR nested too deep");
      need(1);
      var initial = bytes[pos++];
      var major = initial >> 5, info = initial & 31;
      var n, i, out;
      switch (major) {
        case 0: return argument(info);
        case 1: return -1 - argument(info);
        case 2:
          n = argument(info); need(n);
          out = bytes.slice(pos, pos + n); pos += n;
          return out;
        case 3:
          n = argument(info); need(n);
          try { out = utf8.decode(bytes.subarray(pos, pos + n)); } catch (e) {
            refuse("malformed", "CBOR text is not UTF-8");
          }
          pos += n;
          return out;
        case 4:
          n = argument(info); need(n);  // every element takes at least one byte
          out = [];
          for (i = 0; i < n; i++) out.push(item(depth + 1));
          return out;
        case 5:
          n = argument(info); need(2 * n);
          out = new Map();
          for (i = 0; i < n; i++) {
            var key = item(depth + 1);
            out.set(key, item(depth + 1));
          }
          return out;
        case 6:
          n = argument(info);
          return new Tagged(n, item(depth + 1));
        default:  // 7: simple values and floats
          if (info === 20) return false;
          if (info === 21) return true;
          if (info === 22) return null;
          if (info === 23) return undefined;
          if (info === 25) { need(2); n = halfFloat(view.getUint16(pos)); pos += 2; return n; }
          if (info === 26) { need(4); n = view.getFloat32(pos); pos += 4; return n; }
          if (info === 27) { need(8); n = view.getFloat64(pos); pos += 8; return n; }
          return refuse("malformed", "unsupported CBOR simple value");
      }
    }

    var result = item(0);
    if (pos !== bytes.length) refuse("malformed", "trailing bytes after CBOR");
    return result;
  }

  function cborHead(major, length) {
    if (length < 24) return [(major << 5) | length];
    if (length < 0x100) return [(major << 5) | 24, length];
    if (length < 0x10000) return [(major << 5) | 25, length >> 8, length & 0xff];
    return [(major << 5) | 26, (length >>> 24) & 0xff, (length >> 16) & 0xff,
            (length >> 8) & 0xff, length & 0xff];
  }

  /* COSE Sig_structure for COSE_Sign1: ["Signature1", protected, h'', payload]. */
  function sigStructure(protectedBytes, payload) {
    var context = new TextEncoder().encode("Signature1");
    var parts = [
      cborHead(4, 4),
      cborHead(3, context.length), context,
      cborHead(2, protectedBytes.length), protectedBytes,
      cborHead(2, 0),
      cborHead(2, payload.length), payload,
    ];
    var total = parts.reduce(function (sum, p) { return sum + p.length; }, 0);
    var out = new Uint8Array(total), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  // --- Keys ---------------------------------------------------------------------------------

  function base64Encode(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }

  function base64Decode(text) {
    var s = atob(text), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  var importedKeys = new Map();  // "kid public_key" -> Promise<CryptoKey>

  function importKey(published) {
    var cacheKey = published.kid + " " + published.public_key;
    if (!importedKeys.has(cacheKey)) {
      importedKeys.set(cacheKey, crypto.subtle.importKey(
        "spki", base64Decode(published.public_key), {name: "ECDSA", namedCurve: "P-256"},
        false, ["verify"]));
    }
    return importedKeys.get(cacheKey);
  }

  // --- The check ----------------------------------------------------------------------------

  function available() {
    return !!(root.crypto && root.crypto.subtle && typeof root.DecompressionStream === "function");
  }

  function unwrap(message) {
    if (message instanceof Tagged) {
      if (message.tag !== COSE_SIGN1_TAG) refuse("malformed", "CBOR tag " + message.tag + " is not COSE_Sign1");
      message = message.value;
    }
    if (!(Array.isArray(message) && message.length === 4 && message[0] instanceof Uint8Array
          && message[2] instanceof Uint8Array && message[3] instanceof Uint8Array)) {
      refuse("malformed", "not a COSE_Sign1 structure");
    }
    var header = message[0].length ? cborDecode(message[0]) : new Map();
    if (!(header instanceof Map) || header.get(HEADER_ALG) !== ALG_ES256) {
      refuse("malformed", "algorithm is not ES256");
    }
    return {protectedBytes: message[0], header: header, payload: message[2], signature: message[3]};
  }

  function readClaims(payload, kid, claim, fields) {
    var claims = cborDecode(payload);
    var body = claims instanceof Map ? claims.get(claim) : null;
    var exp = claims instanceof Map ? claims.get(CLAIM_EXP) : null;
    var iat = claims instanceof Map ? claims.get(CLAIM_IAT) : null;
    if (!(body instanceof Map) || typeof exp !== "number" || typeof iat !== "number"
        || fields.some(function (k) { return typeof body.get(k) !== "string"; })) {
      refuse("malformed", "claims are incomplete");
    }
    var values = {};
    fields.forEach(function (k) { values[k] = body.get(k); });
    return {body: values, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000),
            kid: kid};
  }

  function check(text, options) {
    text = (text || "").trim();
    if (text.indexOf(PREFIX) !== 0) refuse("malformed", "missing SM1: prefix");
    var compressed = base45Decode(text.slice(PREFIX.length));
    return inflate(compressed).then(function (raw) {
      var cose = unwrap(cborDecode(raw));
      var kidBytes = cose.header.get(HEADER_KID);
      var kid = kidBytes instanceof Uint8Array ? base64Encode(kidBytes) : null;
      var published = (options.keys || []).filter(function (k) { return k.kid === kid; })[0];
      if (!published) refuse("unknown_key", "signed by an unknown key");
      if (cose.signature.length !== 64) refuse("bad_signature", "signature has the wrong length");
      return importKey(published).then(function (key) {
        return crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key, cose.signature,
                                    sigStructure(cose.protectedBytes, cose.payload));
      }).then(function (valid) {
        if (!valid) refuse("bad_signature", "signature does not match the contents");
        return readClaims(cose.payload, kid, options.claim, options.fields || []);
      });
    });
  }

  /* Check a scanned text offline; never rejects. */
  function verify(text, options) {
    options = options || {};
    if (!available()) {
      return Promise.resolve({ok: false, reason: "unavailable", detail: "", claims: null});
    }
    var now = options.now || Date.now();
    return Promise.resolve().then(function () { return check(text, options); }).then(function (claims) {
      if (claims.expiresAt.getTime() <= now) {
        return {ok: false, reason: "expired", detail: claims.expiresAt.toISOString().slice(0, 10),
                claims: claims};
      }
      return {ok: true, claims: claims};
    }, function (error) {
      if (error instanceof Refusal) {
        return {ok: false, reason: error.reason, detail: error.detail, claims: null};
      }
      return {ok: false, reason: "malformed", detail: String(error && error.message || error),
              claims: null};
    });
  }

  root.ShoumenCredential = {
    check: verify,
    available: available,
    base45Decode: base45Decode,
    cborDecode: cborDecode,
    sigStructure: sigStructure,
  };
})(typeof globalThis !== "undefined" ? globalThis : self);
