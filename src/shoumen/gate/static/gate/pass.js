/* Resident pass check in the browser, without the server: the pass is a signed credential
 * (credentials/credential.js, loaded first) of private claim -70001 holding "n" (number),
 * "c" (community code) and "h" (holder's masked name).
 *
 * ShoumenPass.verify(text, {keys, revoked, confined, direction, now}) resolves to
 *   {ok: true, claims} or {ok: false, reason, detail, claims|null}
 * where reason is a RefusalReason value (malformed, unknown_key, bad_signature, expired,
 * revoked, status) or "unavailable" when this browser cannot check offline.
 */
(function (root) {
  "use strict";

  var Credential = root.ShoumenCredential;
  var CLAIM_PASS = -70001;

  function passClaims(found) {
    return found && {number: found.body.n, community: found.body.c, holder: found.body.h,
                     issuedAt: found.issuedAt, expiresAt: found.expiresAt, kid: found.kid};
  }

  /* Verify a scanned text offline; never rejects. */
  function verify(text, options) {
    options = options || {};
    return Credential.check(text, {keys: options.keys, claim: CLAIM_PASS, fields: ["n", "c", "h"],
                                   now: options.now}).then(function (result) {
      var claims = passClaims(result.claims);
      if (!result.ok) {
        return {ok: false, reason: result.reason, detail: result.detail, claims: claims};
      }
      var fail = function (reason) { return {ok: false, reason: reason, detail: "", claims: claims}; };
      if ((options.revoked || []).indexOf(claims.number) >= 0) return fail("revoked");
      if (options.direction === "out" && (options.confined || []).indexOf(claims.number) >= 0) {
        return fail("status");
      }
      return {ok: true, claims: claims};
    });
  }

  root.ShoumenPass = {
    verify: verify,
    available: Credential.available,
    base45Decode: Credential.base45Decode,
    cborDecode: Credential.cborDecode,
    sigStructure: Credential.sigStructure,
  };
})(typeof globalThis !== "undefined" ? globalThis : self);
