"""The DKIM verifier the antispam and pair tests run inside a container: python3-dkim (Debian), fed the
TXT record the zone file publishes instead of a DNS answer, so what is checked is the record an
operator publishes, not the key file.

    python3 -c "$SCRIPT" MESSAGE_FILE TXT SELECTOR DOMAIN [BODY_LINE]

prints "ok" or "bad" for the message; given BODY_LINE, a second verdict for a copy of the message whose
BODY_LINE is replaced (a tampered body must fail). Postfix's local(8) and postcat add headers (Return-Path,
Delivered-To, Received): none is signed, so they do not change the verdict."""

SCRIPT = r'''
import dkim, sys
msg = open(sys.argv[1], "rb").read()
txt = sys.argv[2].encode()
def dnsfunc(name, timeout=5):
    assert name == b"%s._domainkey.%s." % (sys.argv[3].encode(), sys.argv[4].encode()), name
    return txt
print("ok" if dkim.verify(msg, dnsfunc=dnsfunc) else "bad")
if len(sys.argv) > 5:
    tampered = msg.replace(sys.argv[5].encode(), b"Forged body line")
    print("ok" if dkim.verify(tampered, dnsfunc=dnsfunc) else "bad")
'''
