"""Certificate subjects and issuers are rendered (RFC 4514) exactly as cryptography renders them, without
importing cryptography's X.509 module in the signature child."""

from __future__ import annotations

import datetime
import warnings

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.apk.apksig import verify_apk
from gate.apk.signature.certificates import render_name as _render_name
from tests.conftest import APKS, corpus_files

KEY = ec.generate_private_key(ec.SECP256R1())
OIDS = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.LOCALITY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME, NameOID.STREET_ADDRESS, NameOID.DOMAIN_COMPONENT, NameOID.USER_ID,
        NameOID.EMAIL_ADDRESS, NameOID.SERIAL_NUMBER, NameOID.TITLE, ObjectIdentifier("1.3.6.1.4.1.99999.7")]
SPECIAL = "\\\",+;<>#= \0=\u4e2d\u6587\U0001f600é"
TYPES = [_ASN1Type.UTF8String, _ASN1Type.BMPString, _ASN1Type.UniversalString]  # any text fits


def _both(der: bytes) -> list[tuple[str, str]]:
    tbs = asn1_x509.Certificate.load(der)["tbs_certificate"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns of a country name that is not 2 letters
        cert = x509.load_der_x509_certificate(der)
        return [(_render_name(tbs["subject"]), cert.subject.rfc4514_string()),
                (_render_name(tbs["issuer"]), cert.issuer.rfc4514_string())]


def _certificate(subject: x509.Name) -> bytes:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    issuer = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "issuer, \"quoted\" + more")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(KEY.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(KEY, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


attribute = st.builds(
    lambda oid, value, kind: x509.NameAttribute(oid, value, _type=kind),
    st.sampled_from(OIDS),
    st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8")), min_size=1, max_size=12),
    st.sampled_from(TYPES),
)
rdn = st.lists(attribute, min_size=1, max_size=3, unique_by=lambda a: (a.oid, a.value)).map(
    x509.RelativeDistinguishedName)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rdn, min_size=1, max_size=4))
def test_generated_names_render_as_cryptography_does(rdns: list[x509.RelativeDistinguishedName]) -> None:
    for mine, theirs in _both(_certificate(x509.Name(rdns))):
        assert mine == theirs


def test_printable_and_ia5_names() -> None:
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme, Inc. ", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "dev+apk@example.com", _type=_ASN1Type.IA5String),
        x509.NameAttribute(NameOID.COMMON_NAME, "#1 app", _type=_ASN1Type.UTF8String),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\x7f\xff", _type=_ASN1Type.BitString),
        x509.NameAttribute(NameOID.LOCALITY_NAME, " ", _type=_ASN1Type.UTF8String),
        x509.NameAttribute(NameOID.STREET_ADDRESS, "  ", _type=_ASN1Type.UTF8String),
    ])
    for mine, theirs in _both(_certificate(name)):
        assert mine == theirs


def test_every_signer_certificate_of_the_corpus_and_fixtures() -> None:
    seen: set[bytes] = set()
    for apk in [*corpus_files("apks"), *sorted(APKS.glob("*.apk"))]:
        for scheme in verify_apk(apk, {}).schemes:
            for cert in scheme.certificates:
                if cert.der not in seen:
                    seen.add(cert.der)
                    for mine, theirs in _both(cert.der):
                        assert mine == theirs, apk.name
    assert len(seen) >= 5
