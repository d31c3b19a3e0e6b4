#!/usr/bin/env bash
# Makes the certificates of the TLS tests in DIR (loopback only): a CA; server certificates for
# localhost/127.0.0.1 (good), for another host name, expired (Python's cryptography: OpenSSL 3
# refuses negative -days), and one signed by another CA; client certificates from the CA
# (CN=vigie-server) and from the other CA.
#   make_test_pki.sh DIR
set -euo pipefail
d="$1"
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME CN
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "/CN=$2" -days 3 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {  # leaf NAME CA CN EXT
    key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext" 2>/dev/null
}
ca ca "Vigie test CA"
ca otherca "Another CA"
leaf server ca localhost "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf wronghost ca agent.invalid "subjectAltName=DNS:agent.invalid
extendedKeyUsage=serverAuth"
leaf foreign otherca localhost "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client ca vigie-server "extendedKeyUsage=clientAuth"
leaf otherclient otherca vigie-server "extendedKeyUsage=clientAuth"
python3 - <<'PY'
import datetime, ipaddress
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
ca_key = serialization.load_pem_private_key(open("ca.key", "rb").read(), None)
ca_cert = x509.load_pem_x509_certificate(open("ca.pem", "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=10)).not_valid_after(now - datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256()))
open("expired.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open("expired.key", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
chmod 600 ./*.key
