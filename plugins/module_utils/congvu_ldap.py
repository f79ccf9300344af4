"""How the congvu modules reach the directory (Ansible side; the congvu package stays Ansible-free).

Two clients. The roster reconcile reads and writes with python-ldap (libldap, C): decoding 100,000
entries in ldap3's pure-Python BER decoder took 20 s of a 24 s no-op plan, and ldap3's encoding was
about 1.2 ms of CPU per created entry, close to slapd's own 1.6 ms (docs/benchmarks.md). The small
modules (password_reset) keep ldap3, where a handful of operations make the speed irrelevant. Both are
Debian packages the role `directory` installs on the directory host (python3-ldap, python3-ldap3),
where the modules run.
"""

import ssl

CONNECTION_ARGS = dict(
    server_uri=dict(type="str", default="ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"),
    bind_dn=dict(type="str"),
    bind_password=dict(type="str", no_log=True),
    bind_password_file=dict(type="path", no_log=False),
    ca_file=dict(type="path"),
)


def _password(params):
    password = params["bind_password"]
    if params["bind_dn"] and not password and params["bind_password_file"]:
        with open(params["bind_password_file"], encoding="utf-8") as handle:
            password = handle.read().strip()
    return password


def _who(params):
    return params["bind_dn"] or "root (SASL EXTERNAL)"


def uri_list(uri):
    """`server_uri` may name several servers, separated by spaces (the directory's providers,
    docs/cluster.md): each is tried in order until one answers."""
    return str(uri).split()


def needs_tls(uris):
    """TLS options are set when any of the servers is reached over the network."""
    return any(not u.lower().startswith("ldapi://") for u in uris)


def needs_starttls(uris):
    """StartTLS only when every server is ldap:// (libldap picks one of the list; a StartTLS on an
    ldaps:// or ldapi:// connection would fail): mix ldapi:// with ldaps://, not with ldap://."""
    return bool(uris) and all(u.lower().startswith("ldap://") for u in uris)


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
    uris = uri_list(uri)
    tls = None
    if needs_tls(uris):
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                        ca_certs_file=params["ca_file"])
    servers = [ldap3.Server(u, tls=tls if not u.lower().startswith("ldapi://") else None,
                            get_info=ldap3.NONE, connect_timeout=10) for u in uris]
    # several providers: the first that answers (ldap3's pool, tried once each in order)
    server = servers[0] if len(servers) == 1 else ldap3.ServerPool(servers, ldap3.FIRST, active=1, exhaust=False)
    password = _password(params)
    if params["bind_dn"]:
        conn = ldap3.Connection(server, params["bind_dn"], password, raise_exceptions=False,
                                receive_timeout=60, auto_bind=ldap3.AUTO_BIND_NONE)
    else:
        conn = ldap3.Connection(server, authentication=ldap3.SASL, sasl_mechanism=ldap3.EXTERNAL,
                                sasl_credentials="", raise_exceptions=False, receive_timeout=60)
    conn.open()
    if needs_starttls(uris):
        conn.start_tls()
    if not conn.bind():
        module.fail_json(msg=f"cannot bind to {uri} as {_who(params)}: "
                             f"{conn.result.get('description')} {conn.result.get('message', '')}")
    return conn


def connect_python_ldap(module, params):
    """A python-ldap connection bound like connect(), for congvu.directory (read_state, Applier).

    The same rules: StartTLS on ldap://, the server certificate always verified (`ca_file` or the
    system's trust store), SASL EXTERNAL when no `bind_dn` is given.
    """
    try:
        import ldap
        import ldap.sasl
    except ImportError:
        module.fail_json(msg="the python-ldap library is required (Debian: python3-ldap)")
    uri = params["server_uri"]
    uris = uri_list(uri)
    try:
        # libldap takes the list as is and connects to the first server that answers
        conn = ldap.initialize(" ".join(uris))
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 10)
        conn.set_option(ldap.OPT_TIMEOUT, 60)
        if needs_tls(uris):
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            if params["ca_file"]:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, params["ca_file"])
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # the options above take effect for this connection
        if needs_starttls(uris):
            conn.start_tls_s()
        if params["bind_dn"]:
            conn.simple_bind_s(params["bind_dn"], _password(params))
        else:
            conn.sasl_interactive_bind_s("", ldap.sasl.external())
    except ldap.LDAPError as exc:
        detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {"desc": str(exc)}
        module.fail_json(msg=f"cannot bind to {uri} as {_who(params)}: {detail.get('desc')} "
                             f"{detail.get('info', '')}".strip())
    return conn
