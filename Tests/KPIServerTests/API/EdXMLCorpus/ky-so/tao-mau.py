"""Makes the signed packages of this folder with an independent XML-DSig implementation (PyPI signxml, on
lxml's C14N) and the expected canonical forms: run from a temporary folder (it writes the private keys
there, never here), `pip install signxml`, then `python3 <this file> <EdXMLCorpus folder>`. The keys are
thrown away: only the certificates (valid 2020–2040; one 2020–2021) and the signed packages are kept."""
import copy
import datetime
import re
import sys
from lxml import etree
from signxml import XMLSigner, methods
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
def name(o, cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(subject, subject_key, issuer, issuer_key, ca, start, end):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(subject_key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(issuer_key, hashes.SHA256())
def save(k, c, stem):
    open(stem + "-key.pem", "wb").write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    open(stem + ".pem", "wb").write(c.public_bytes(serialization.Encoding.PEM))

C = sys.argv[1].rstrip("/") + "/"
D = C + "ky-so/"
s, e = datetime.datetime(2020, 1, 1), datetime.datetime(2040, 1, 1)
k = key(); n = name("Uy ban MTTQ Viet Nam tinh Nghe An", "Van thu MTTQ tinh"); save(k, cert(n, k, n, k, False, s, e), "mttq")
k = key(); n = name("Khac", "Chung thu khac"); save(k, cert(n, k, n, k, False, s, e), "khac")
ck = key(); cn = name("Ban Co yeu Chinh phu (thu nghiem)", "CA thu nghiem KPI"); save(ck, cert(cn, ck, cn, ck, True, s, e), "ca")
lk = key(); ln = name("Van phong Tinh uy Nghe An", "Van thu VPTU"); save(lk, cert(ln, lk, cn, ck, False, s, e), "vptu")
ek = key(); en = name("Het han", "Chung thu het han")
save(ek, cert(en, ek, en, ek, False, datetime.datetime(2020, 1, 1), datetime.datetime(2021, 1, 1)), "hethan")
unsigned = re.sub(r"\s*<Signature xmlns=.*?</Signature>", "", open(C + "khoi-mat-tran.xml", encoding="utf-8").read(), flags=re.S)
open("unsigned.xml", "w", encoding="utf-8").write(unsigned)
def sign(src, out, stem, c14n, chain=()):
    key = open(stem + "-key.pem","rb").read()
    certs = [open(stem + ".pem").read()] + [open(c + ".pem").read() for c in chain]
    doc = etree.parse(src).getroot()
    alg = {"inc": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", "exc": "http://www.w3.org/2001/10/xml-exc-c14n#"}[c14n]
    s = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=alg)
    signed = s.sign(doc, key=key, cert=certs)
    open(out, "wb").write(b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(signed, encoding="UTF-8"))
sign("unsigned.xml", D + "ky-so-c14n.xml", "mttq", "inc")
sign("unsigned.xml", D + "ky-so-c14n-loai-tru.xml", "mttq", "exc")
sign(C + "khoi-dang.xml", D + "ky-so-qua-ca.xml", "vptu", "exc", chain=("ca",))
sign("unsigned.xml", D + "ky-so-het-han.xml", "hethan", "inc")
changed = open(D + "ky-so-c14n.xml", encoding="utf-8").read().replace("ý kiến nhân dân", "ý kiến người dân")
open(D + "sai-noi-dung-bi-sua.xml", "w", encoding="utf-8").write(changed)
for stem, target in [("mttq", "chung-thu-mttq-tinh.pem"), ("khac", "chung-thu-khac.pem"), ("ca", "ca-thu-nghiem.pem")]:
    open(D + target, "wb").write(open(stem + ".pem", "rb").read())
DS = "http://www.w3.org/2000/09/xmldsig#"
for stem, exc in [("ky-so-c14n", False), ("ky-so-c14n-loai-tru", True)]:
    root = etree.parse(D + stem + ".xml").getroot()
    open(D + stem + ".signedinfo.c14n", "wb").write(etree.tostring(root.find(f".//{{{DS}}}SignedInfo"), method="c14n", exclusive=exc, with_comments=False))
    doc = copy.deepcopy(root)
    doc.remove(doc.find(f"{{{DS}}}Signature"))
    open(D + stem + ".noi-dung.c14n", "wb").write(etree.tostring(doc, method="c14n", exclusive=exc, with_comments=False))
mau = etree.parse(D + "c14n-mau.xml").getroot()
for exc, suffix in [(False, "inc"), (True, "exc")]:
    open(D + f"c14n-mau.{suffix}.c14n", "wb").write(etree.tostring(mau, method="c14n", exclusive=exc, with_comments=False))
    open(D + f"c14n-mau.con.{suffix}.c14n", "wb").write(etree.tostring(mau[1], method="c14n", exclusive=exc, with_comments=False))
