// Verifies an eligibility receipt (compact JWS, EdDSA or ES256) in the browser with WebCrypto
// against the service's /.well-known/jwks.json. The receipt comes from the URL fragment,
// which browsers never send to a server, or is pasted; nothing about it leaves the page.
(function () {
  'use strict';
  var texts = JSON.parse(document.getElementById('verify-texts').textContent);
  var $ = function (id) { return document.getElementById(id); };

  function bytes(b64url) {
    var s = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function json(b64url) { return JSON.parse(new TextDecoder().decode(bytes(b64url))); }
  function refusal(code) { var e = new Error(texts.reasons[code] || code); e.code = code; return e; }

  async function verify(receipt) {
    var parts = receipt.split('.');
    if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts.join(''))) throw refusal('malformed');
    var header, claims;
    try { header = json(parts[0]); claims = json(parts[1]); } catch (e) { throw refusal('malformed'); }
    if (!window.crypto || !crypto.subtle) throw refusal('no_webcrypto');
    var res = await fetch('/.well-known/jwks.json', { cache: 'no-store' });
    if (!res.ok) throw refusal('jwks');
    var jwks = await res.json();
    var jwk = (jwks.keys || []).filter(function (k) { return k.kid === header.kid; })[0];
    if (!jwk) throw refusal('unknown_key');
    var importAs, verifyAs, material = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    if (header.alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
      importAs = { name: 'Ed25519' }; verifyAs = { name: 'Ed25519' };
    } else if (header.alg === 'ES256' && jwk.kty === 'EC' && jwk.crv === 'P-256') {
      material.y = jwk.y;
      importAs = { name: 'ECDSA', namedCurve: 'P-256' }; verifyAs = { name: 'ECDSA', hash: 'SHA-256' };
    } else {
      throw refusal('algorithm');
    }
    if (jwk.alg && jwk.alg !== header.alg) throw refusal('algorithm');
    var key = await crypto.subtle.importKey('jwk', material, importAs, false, ['verify']);
    var signed = new TextEncoder().encode(parts[0] + '.' + parts[1]);
    var ok = await crypto.subtle.verify(verifyAs, key, bytes(parts[2]), signed);
    if (!ok) throw refusal('signature');
    return claims;
  }

  function show(claims) {
    var rows = [
      ['nip', claims.nip], ['purpose', texts.purposes[claims.purpose] || claims.purpose],
      ['as_of', claims.as_of], ['outcome', texts.outcomes[claims.outcome] || claims.outcome],
      ['reason_codes', (claims.reason_codes || []).join(', ') || '—'],
      ['eligible_from', claims.eligible_from || '—'], ['policy_version', claims.policy_version],
      ['decision_id', claims.decision_id], ['issued', new Date(claims.iat * 1000).toISOString()],
      ['issuer', claims.iss]
    ];
    var dl = $('claims');
    dl.textContent = '';
    rows.forEach(function (r) {
      var dt = document.createElement('dt'); dt.textContent = texts.labels[r[0]];
      var dd = document.createElement('dd'); dd.textContent = r[1] == null ? '—' : String(r[1]);
      dl.appendChild(dt); dl.appendChild(dd);
    });
    $('result').hidden = false;
  }

  async function run(receipt) {
    var verdict = $('verdict');
    $('result').hidden = true;
    receipt = (receipt || '').trim();
    if (receipt.indexOf('#') >= 0) receipt = receipt.slice(receipt.indexOf('#') + 1);
    if (!receipt) { verdict.className = 'verdict'; verdict.textContent = texts.waiting; return; }
    verdict.className = 'verdict'; verdict.textContent = texts.checking;
    try {
      var claims = await verify(receipt);
      verdict.className = 'verdict genuine';
      verdict.textContent = texts.genuine;
      show(claims);
    } catch (e) {
      verdict.className = 'verdict refused';
      verdict.textContent = texts.refused + ' ' + (e.code ? e.message : texts.reasons.malformed);
    }
  }

  $('paste').addEventListener('submit', function (ev) {
    ev.preventDefault();
    run($('receipt').value);
  });
  window.addEventListener('hashchange', function () { run(location.hash.slice(1)); });
  run(location.hash.slice(1));
})();
