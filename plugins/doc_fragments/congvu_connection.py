"""How a congvu module reaches the directory (module_utils/congvu_ldap.py CONNECTION_ARGS), documented once."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  server_uri:
    description:
      - >-
        The directory: the ldapi:// socket of slapd on the directory host (the default, with SASL
        EXTERNAL as root), an ldaps:// URL, or an ldap:// URL, which always uses StartTLS.
      - >-
        Several, separated by spaces, are tried in order until one answers (the directory's providers,
        docs/cluster.md).
      - Over TLS the server's certificate is always verified, against I(ca_file) or the system's trust store.
    type: str
    default: ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi
  bind_dn:
    description:
      - >-
        DN to bind as with a simple bind, a service account of the directory such as
        C(cn=reconcile,ou=system,dc=quangbinh,dc=gov,dc=vn); empty means SASL EXTERNAL (root over ldapi://).
    type: str
  bind_password:
    description: The password of I(bind_dn).
    type: str
  bind_password_file:
    description: A root-only file holding the password of I(bind_dn) instead of I(bind_password).
    type: path
  ca_file:
    description: The CA certificate to verify the directory's certificate with (ldaps:// and StartTLS).
    type: path
"""
