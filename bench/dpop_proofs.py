#!/usr/bin/env python3
"""Pre-generates DPoP proofs (RFC 9449 §4.2) for the cc_dpop scenario of bench/run.

    bench/dpop_proofs.py URL COUNT OUT

writes COUNT proofs for `POST URL`, one per line, all by one fresh ES256 key, each with
its own `jti` and `iat` = now (the benchmark's server accepts proofs for an hour,
`oauth2.dpop.proof_max_age: 1h`, so proofs made before a run stay fresh through it).
Signing happens here, before the load starts, so the load generator only sends them
(bench/lua/request.lua, BENCH_PROOFS). Uses the `cryptography` package, not our code.
"""

import base64
import json
import sys
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    url, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }
    header = b64(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}).encode())
    iat = int(time.time())
    prefix = uuid.uuid4().hex
    with open(out, "w") as f:
        for i in range(count):
            claims = {"jti": f"{prefix}-{i}", "htm": "POST", "htu": url, "iat": iat}
            signing_input = f"{header}.{b64(json.dumps(claims).encode())}"
            r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
            signature = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            f.write(f"{signing_input}.{signature}\n")


if __name__ == "__main__":
    main()
