<?php
/**
 * The password plugin's driver `congvu`, linked by the role webmail as
 * plugins/password/drivers/congvu.php (the plugin loads drivers only from there). It defers to
 * congvu_password: bind as the user, LDAP password modify, slapd's Art. 8 policy and its reason.
 */
require_once __DIR__ . '/congvu_password.php';

class rcube_congvu_password
{
    public function save($curpass, $passwd, $username)
    {
        $entry = congvu_password::lookup($username);
        if (!$entry) {
            return PASSWORD_CONNECT_ERROR;
        }
        $error = congvu_password::change($entry['dn'], $curpass, $passwd);
        if ($error === null) {
            return PASSWORD_SUCCESS;
        }
        return ['code' => $error['refused'] ? PASSWORD_CONSTRAINT_VIOLATION : PASSWORD_ERROR,
            'message' => $error['text']];
    }
}
