/*
 * congvu_pwcheck.c: password quality module (pwdCheckModule) for slapd 2.5 (Debian 12),
 * the server-side part of Art. 8 of the provincial regulation. Compiled on the Ansible controller
 * into the Debian package congvu-pwcheck (role `packages`, files/congvu-build-deb; docs/packages.md)
 * and installed by the role `directory`; see docs/directory.md, "Password policy".
 *
 * slapd's ppolicy overlay calls check_password() for every password change of an entry whose
 * policy has pwdCheckQuality >= 1 and pwdCheckModule set, after its own checks (pwdMinLength,
 * history) and before the change is written. The signature is the one of slapd 2.5
 * (slapo-ppolicy(5)):
 *
 *     int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry, struct berval *pArg);
 *
 * pArg is the policy's pwdCheckModuleArg: `key=value` pairs separated by ';'
 *
 *     minchars=N          at least N characters (Unicode code points, not bytes)   default 0
 *     classes=N           at least N of the 4 classes lower, upper, digit, other   default 3
 *     admin-base=DN       entries at or under DN are administrators: they get
 *     admin-minchars=N      at least N characters, whatever their policy says,     default 14
 *                           and a password no other administrator holds (below)
 *     uri=URI             where to read the administrators' hashes              default ldapi:///
 *     timeout=S           seconds for that lookup                                 default 5
 *
 * Uniqueness among administrators (Art. 8: "no admin password reused across admin accounts"):
 * the module binds to slapd itself over ldapi:// with SASL EXTERNAL (as the unix user slapd
 * runs as, which the ACL lets read userPassword under admin-base and nothing else), reads the
 * current userPassword of every other administrator and compares the candidate with slapd's
 * own verifier lutil_passwd() (any scheme slapd knows: {ARGON2}, {SSHA}, ...). A match, or a
 * lookup that fails, refuses the password (fail closed). The entry's own current password is
 * skipped: reusing it is a matter for pwdInHistory.
 *
 * Character classes: the password must be UTF-8. lower/upper are decided by the C.UTF-8
 * locale's iswlower/iswupper (so Vietnamese letters such as "ă", "Đ" count as letters of their
 * case), digits are 0-9, every other character (punctuation, space, symbols, letters without
 * case) is "other".
 */

#define _GNU_SOURCE
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include <lber.h>
#include <ldap.h>

/* slapd's Entry is opaque here (slapd installs no headers). Its first members have been the
 * same since OpenLDAP 2.2 (servers/slapd/slap.h): ID e_id; struct berval e_name, e_nname. */
typedef struct Entry Entry;
struct congvu_entry_head {
	unsigned long e_id;
	struct berval e_name;
	struct berval e_nname;
};

/* liblutil's verifier, linked into and exported by /usr/sbin/slapd: 0 when cred matches. */
extern int lutil_passwd(const struct berval *passwd, const struct berval *cred,
	const char **methods, const char **text);

int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry, struct berval *pArg);

#define REFUSE 1

struct args {
	long minchars;
	long classes;
	long admin_minchars;
	char admin_base[1024];
	char uri[256];
	long timeout;
};

static void set_error(char **ppErrStr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(char **ppErrStr, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (ppErrStr == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	*ppErrStr = msg; /* slapd free()s it */
}

static void parse_args(const struct berval *arg, struct args *a)
{
	char buf[2048];
	char *tok, *save = NULL;
	size_t len;

	a->minchars = 0;
	a->classes = 3;
	a->admin_minchars = 14;
	a->admin_base[0] = '\0';
	snprintf(a->uri, sizeof(a->uri), "%s", "ldapi:///");
	a->timeout = 5;
	if (arg == NULL || arg->bv_val == NULL || arg->bv_len == 0)
		return;
	len = arg->bv_len < sizeof(buf) - 1 ? arg->bv_len : sizeof(buf) - 1;
	memcpy(buf, arg->bv_val, len);
	buf[len] = '\0';
	for (tok = strtok_r(buf, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
		char *eq, *key, *val;

		while (*tok == ' ')
			tok++;
		eq = strchr(tok, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		key = tok;
		val = eq + 1;
		if (strcmp(key, "minchars") == 0)
			a->minchars = strtol(val, NULL, 10);
		else if (strcmp(key, "classes") == 0)
			a->classes = strtol(val, NULL, 10);
		else if (strcmp(key, "admin-minchars") == 0)
			a->admin_minchars = strtol(val, NULL, 10);
		else if (strcmp(key, "admin-base") == 0)
			snprintf(a->admin_base, sizeof(a->admin_base), "%s", val);
		else if (strcmp(key, "uri") == 0)
			snprintf(a->uri, sizeof(a->uri), "%s", val);
		else if (strcmp(key, "timeout") == 0)
			a->timeout = strtol(val, NULL, 10);
	}
}

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, wint_t *out)
{
	if (s[0] < 0x80) {
		*out = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*out = ((wint_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return *out >= 0x80 ? 2 : 0;
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*out = ((wint_t)(s[0] & 0x0F) << 12) | ((wint_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return (*out >= 0x800 && (*out < 0xD800 || *out > 0xDFFF)) ? 3 : 0;
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80
	    && (s[3] & 0xC0) == 0x80) {
		*out = ((wint_t)(s[0] & 0x07) << 18) | ((wint_t)(s[1] & 0x3F) << 12)
		       | ((wint_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return (*out >= 0x10000 && *out <= 0x10FFFF) ? 4 : 0;
	}
	return 0;
}

/* The C.UTF-8 character classes, made once when slapd loads the module (no global setlocale()
 * in a threaded server); without it non-ASCII characters count as "other". */
static locale_t utf8 = (locale_t)0;

__attribute__((constructor)) static void congvu_pwcheck_init(void)
{
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

__attribute__((destructor)) static void congvu_pwcheck_fini(void)
{
	if (utf8 != (locale_t)0)
		freelocale(utf8);
	utf8 = (locale_t)0;
}

/* Count characters and classes; returns -1 for invalid UTF-8. */
static long count_classes(const char *pw, long *nchars)
{
	int lower = 0, upper = 0, digit = 0, other = 0;
	const unsigned char *p = (const unsigned char *)pw;

	*nchars = 0;
	while (*p) {
		wint_t wc;
		size_t n = utf8_decode(p, &wc);

		if (n == 0)
			return -1;
		p += n;
		(*nchars)++;
		if (wc >= '0' && wc <= '9')
			digit = 1;
		else if (wc >= 'a' && wc <= 'z')
			lower = 1;
		else if (wc >= 'A' && wc <= 'Z')
			upper = 1;
		else if (wc >= 0x80 && utf8 != (locale_t)0 && iswlower_l(wc, utf8))
			lower = 1;
		else if (wc >= 0x80 && utf8 != (locale_t)0 && iswupper_l(wc, utf8))
			upper = 1;
		else
			other = 1;
	}
	return lower + upper + digit + other;
}

/* Is dn (as slapd gives it: normalized, lower case) at or under base? */
static int dn_is_under(const struct berval *dn, const char *base)
{
	size_t blen = strlen(base);

	if (blen == 0 || dn->bv_val == NULL || dn->bv_len < blen)
		return 0;
	if (strcasecmp(dn->bv_val + dn->bv_len - blen, base) != 0)
		return 0;
	return dn->bv_len == blen || dn->bv_val[dn->bv_len - blen - 1] == ',';
}

/* Does another administrator hold this password? 0 = no, 1 = yes, -1 = cannot tell. */
static int held_by_other_admin(const char *pw, const struct congvu_entry_head *self,
	const struct args *a, char *why, size_t whylen)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL, *e;
	char *attrs[] = { "userPassword", NULL };
	struct timeval tv = { a->timeout, 0 };
	struct berval cred, empty = { 0, "" };
	int version = LDAP_VERSION3, rc, found = 0;

	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_initialize(&ld, a->uri);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "ldap_initialize(%s): %s", a->uri, ldap_err2string(rc));
		return -1;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	/* an empty (not absent) credential: EXTERNAL in one step, no SASL library needed */
	rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "SASL EXTERNAL bind on %s: %s", a->uri, ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -1;
	}
	/* (objectClass=*): the base entry itself must come back, or the lookup saw nothing (an
	 * access control that hides ou=admins must not pass for "no other administrator") */
	rc = ldap_search_ext_s(ld, a->admin_base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs, 0,
		NULL, NULL, &tv, 0, &res);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "search under %s: %s", a->admin_base, ldap_err2string(rc));
		if (res)
			ldap_msgfree(res);
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -1;
	}
	if (ldap_count_entries(ld, res) < 1) {
		snprintf(why, whylen, "%s is not readable", a->admin_base);
		ldap_msgfree(res);
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -1;
	}
	for (e = ldap_first_entry(ld, res); e != NULL && !found; e = ldap_next_entry(ld, e)) {
		char *dn = ldap_get_dn(ld, e);
		struct berval **vals;
		int i, is_self = 0;

		if (dn != NULL && self != NULL) {
			char *ndn = NULL;

			if (self->e_name.bv_val && strcasecmp(dn, self->e_name.bv_val) == 0)
				is_self = 1;
			else if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &ndn,
					LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_PEDANTIC) == LDAP_SUCCESS
				&& self->e_nname.bv_val && strcasecmp(ndn, self->e_nname.bv_val) == 0)
				is_self = 1;
			if (ndn)
				ldap_memfree(ndn);
		}
		if (dn)
			ldap_memfree(dn);
		if (is_self)
			continue;
		vals = ldap_get_values_len(ld, e, "userPassword");
		for (i = 0; vals != NULL && vals[i] != NULL; i++) {
			if (lutil_passwd(vals[i], &cred, NULL, NULL) == 0) {
				found = 1;
				break;
			}
		}
		if (vals)
			ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return found;
}

int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry, struct berval *pArg)
{
	struct args a;
	const struct congvu_entry_head *self = (const struct congvu_entry_head *)pEntry;
	long nchars = 0, nclasses, minchars;
	int is_admin = 0;

	if (pPasswd == NULL) {
		set_error(ppErrStr, "no password given");
		return REFUSE;
	}
	parse_args(pArg, &a);
	if (self != NULL && a.admin_base[0] != '\0') {
		is_admin = dn_is_under(&self->e_nname, a.admin_base)
			   || dn_is_under(&self->e_name, a.admin_base);
	}
	nclasses = count_classes(pPasswd, &nchars);
	if (nclasses < 0) {
		set_error(ppErrStr, "the password is not valid UTF-8");
		return REFUSE;
	}
	minchars = a.minchars;
	if (is_admin && a.admin_minchars > minchars)
		minchars = a.admin_minchars;
	if (nchars < minchars) {
		set_error(ppErrStr, "the password has %ld characters; %s need at least %ld (Art. 8)",
			nchars, is_admin ? "administrators" : "users", minchars);
		return REFUSE;
	}
	if (nclasses < a.classes) {
		set_error(ppErrStr,
			"the password uses %ld of the 4 character classes (lower case, upper case, "
			"digits, other); at least %ld are required (Art. 8)", nclasses, a.classes);
		return REFUSE;
	}
	if (is_admin) {
		char why[512] = "";
		int held = held_by_other_admin(pPasswd, self, &a, why, sizeof(why));

		if (held == 1) {
			set_error(ppErrStr, "another administrator account already uses this password "
				"(Art. 8)");
			return REFUSE;
		}
		if (held < 0) {
			set_error(ppErrStr, "cannot check that no other administrator uses this password "
				"(%s); refused", why);
			return REFUSE;
		}
	}
	return LDAP_SUCCESS;
}
