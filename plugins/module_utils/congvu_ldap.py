"""How the congvu modules reach the directory (Ansible side; the congvu package stays Ansible-free)."""

import ssl

CONNECTION_ARGS = dict(
    server_uri=dict(type="str", default="ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"),
    bind_dn=dict(type="str"),
    bind_password=dict(type="str", no_log=True),
    bind_password_file=dict(type="path", no_log=False),
    ca_file=dict(type="path"),
)


def connect(module, params):
    """An ldap3 connection, bound: simple bind as `bind_dn`, or SASL EXTERNAL on ldapi:// as root.

    ldap:// URLs always use StartTLS, and TLS always verifies the server against `ca_file` (or the
    system's trust store): the directory carries password hashes and personal data.
    """
    try:
        import ldap3
    except ImportError:
        module.fail_json(msg="the ldap3 Python library is required (Debian: python3-ldap3)")
    uri = params["server_uri"]
    tls = None
    if not uri.lower().startswith("ldapi://"):
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                        ca_certs_file=params["ca_file"])
    server = ldap3.Server(uri, tls=tls, get_info=ldap3.NONE, connect_timeout=10)
    password = params["bind_password"]
    if params["bind_dn"] and not password and params["bind_password_file"]:
        with open(params["bind_password_file"], encoding="utf-8") as handle:
            password = handle.read().strip()
    if params["bind_dn"]:
        conn = ldap3.Connection(server, params["bind_dn"], password, raise_exceptions=False,
                                receive_timeout=60, auto_bind=ldap3.AUTO_BIND_NONE)
    else:
        conn = ldap3.Connection(server, authentication=ldap3.SASL, sasl_mechanism=ldap3.EXTERNAL,
                                sasl_credentials="", raise_exceptions=False, receive_timeout=60)
    conn.open()
    if uri.lower().startswith("ldap://"):
        conn.start_tls()
    if not conn.bind():
        module.fail_json(msg=f"cannot bind to {uri} as {params['bind_dn'] or 'root (SASL EXTERNAL)'}: "
                             f"{conn.result.get('description')} {conn.result.get('message', '')}")
    return conn
