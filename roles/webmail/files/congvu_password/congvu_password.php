<?php
/**
 * congvu_password: passwords are the directory's business (Art. 8). Managed by Ansible (role
 * webmail); docs/webmail.md explains the design.
 *
 * - Settings > Password (Debian's `password` plugin) uses the driver `congvu` (driver.php): bind as
 *   the user, LDAP password modify, so slapd's policy decides; its refusal is shown in plain words.
 * - Forced change at first login (Art. 4.3, 6.3): slapd marks a new or reset password pwdReset and
 *   Dovecot refuses such a login. At login this plugin looks the mailbox up (as cn=roundcube); when
 *   pwdReset is set and the password binds, it shows the change form instead of logging in, changes
 *   the password as the user, then lets Roundcube log in with the new one.
 */
class congvu_password extends rcube_plugin
{
    /** How long the change form stays valid after the initial password was checked (seconds). */
    const PENDING_TTL = 600;
    const ACTION = 'congvu-pwchange';

    private $rc;

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->add_texts('localization/');
        $this->add_hook('startup', [$this, 'startup']);
        $this->add_hook('authenticate', [$this, 'authenticate']);
        // the password plugin puts its generic label before the reason: say it plainly
        $this->rc->load_language(null, [], ['password.passwdconstraintviolation' => $this->gettext('refused')]);
    }

    // --- the directory ---------------------------------------------------------------------

    private static function connect()
    {
        $config = rcmail::get_instance()->config;
        // a space-separated list of URIs: libldap tries them in turn (PHP's ldap_connect takes the list as is)
        $ds = @ldap_connect($config->get('congvu_ldap_uri', 'ldapi:///'));
        if (!$ds) {
            return null;
        }
        ldap_set_option($ds, LDAP_OPT_PROTOCOL_VERSION, 3);
        ldap_set_option($ds, LDAP_OPT_NETWORK_TIMEOUT, 5);
        ldap_set_option($ds, LDAP_OPT_REFERRALS, 0);
        return $ds;
    }

    /** The personal mailbox of an address: ['dn' => ..., 'must_change' => bool], or null. */
    public static function lookup($address)
    {
        $config = rcmail::get_instance()->config;
        $ds = self::connect();
        $secret = trim((string) @file_get_contents($config->get('congvu_ldap_bind_pw_file')));
        if (!$ds || !@ldap_bind($ds, $config->get('congvu_ldap_bind_dn'), $secret)) {
            rcube::raise_error(['code' => 600, 'type' => 'ldap', 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'congvu_password: cannot bind as ' . $config->get('congvu_ldap_bind_dn')
                    . ($ds ? ': ' . ldap_error($ds) : '')], true, false);
            return null;
        }
        $filter = sprintf('(&(objectClass=congvuMailbox)(mail=%s))', ldap_escape($address, '', LDAP_ESCAPE_FILTER));
        $search = @ldap_search($ds, $config->get('congvu_ldap_base_dn'), $filter, ['pwdReset'], 0, 2);
        $entries = $search ? ldap_get_entries($ds, $search) : ['count' => 0];
        ldap_unbind($ds);
        if ($entries['count'] != 1) {
            return null;
        }
        $reset = $entries[0]['pwdreset'][0] ?? '';
        return ['dn' => $entries[0]['dn'], 'must_change' => strtoupper($reset) === 'TRUE'];
    }

    /** Does this password bind as this entry? */
    private static function binds($dn, $password)
    {
        $ds = self::connect();
        $ok = $ds && $password !== '' && @ldap_bind($ds, $dn, $password);
        if ($ds) {
            ldap_unbind($ds);
        }
        return $ok;
    }

    /**
     * Change the password as the user (slapd applies Art. 8). Null on success, else
     * ['refused' => bool, 'text' => what to tell the user].
     */
    public static function change($dn, $old, $new)
    {
        $ds = self::connect();
        if (!$ds) {
            return ['refused' => false, 'text' => self::text('unavailable')];
        }
        if (!@ldap_bind($ds, $dn, $old)) {
            $wrong = ldap_errno($ds) == 49;
            ldap_unbind($ds);
            return ['refused' => false, 'text' => self::text($wrong ? 'wrongcurrent' : 'unavailable')];
        }
        if (@ldap_exop_passwd($ds, $dn, $old, $new) === false) {
            $diagnostic = '';
            ldap_get_option($ds, LDAP_OPT_DIAGNOSTIC_MESSAGE, $diagnostic);
            $errno = ldap_errno($ds);
            ldap_unbind($ds);
            rcube::write_log('password', sprintf('Password change for %s refused by the directory: %s (%d)',
                $dn, $diagnostic, $errno));
            return ['refused' => true, 'text' => self::explain((string) $diagnostic, $new)];
        }
        ldap_unbind($ds);
        return null;
    }

    /** slapd's refusal (ppolicy, the quality module congvu_pwcheck) in the user's language. */
    public static function explain($diagnostic, $new)
    {
        $config = rcmail::get_instance()->config;
        $vars = ['min' => $config->get('congvu_password_min_length', 7), 'classes' => $config->get('congvu_password_classes', 3)];
        if (preg_match('/has (\d+) characters; \w+ need at least (\d+)/', $diagnostic, $m)) {
            return self::text('tooshort', ['n' => $m[1], 'min' => $m[2]]);
        }
        if (preg_match('/uses (\d+) of the 4 character classes.*at least (\d+)/', $diagnostic, $m)) {
            return self::text('fewclasses', ['n' => $m[1], 'classes' => $m[2]]);
        }
        if (stripos($diagnostic, 'history') !== false) {
            return self::text('inhistory');
        }
        // ppolicy's own length check (pwdMinLength) runs before the module and names no figure
        $n = mb_strlen($new, 'UTF-8');
        if (stripos($diagnostic, 'too short') !== false || $n < $vars['min']) {
            return self::text('tooshort', ['n' => $n, 'min' => $vars['min']]);
        }
        if (stripos($diagnostic, 'UTF-8') !== false) {
            return self::text('badutf8');
        }
        if (stripos($diagnostic, 'another administrator') !== false) {
            return self::text('adminreuse');
        }
        return self::text('rules', $vars);
    }

    private static function text($name, $vars = [])
    {
        return rcmail::get_instance()->gettext(['name' => 'congvu_password.' . $name, 'vars' => $vars]);
    }

    // --- the forced change at login --------------------------------------------------------

    public function authenticate($args)
    {
        if (empty($args['valid']) || !empty($args['abort']) || $args['user'] === '') {
            return $args;
        }
        $entry = self::lookup($args['user']);
        if (!$entry || !$entry['must_change']) {
            return $args;   // the normal login (Dovecot decides)
        }
        if (!self::binds($entry['dn'], $args['pass'])) {
            // one failed bind is enough: do not let IMAP count a second failure (lockout, Art. 8)
            $args['abort'] = true;
            $args['error'] = 'loginfailed';
            return $args;
        }
        $_SESSION['congvu_pwreset'] = [
            'user' => $args['user'],
            'dn' => $entry['dn'],
            'pass' => $this->rc->encrypt($args['pass']),
            'time' => time(),
        ];
        rcube::write_log('password', sprintf('Initial or reset password of %s: change required (Art. 4.3, 6.3)',
            $args['user']));
        $this->show_form();
    }

    public function startup($args)
    {
        if ($args['task'] != 'login' || $args['action'] != self::ACTION) {
            return $args;
        }
        $pending = $_SESSION['congvu_pwreset'] ?? null;
        if (!$pending || time() - $pending['time'] > self::PENDING_TTL || !$this->rc->check_request()) {
            unset($_SESSION['congvu_pwreset']);
            $this->rc->output->show_message('congvu_password.expired', 'warning');
            $args['action'] = '';
            return $args;
        }
        $new = rcube_utils::get_input_string('_newpasswd', rcube_utils::INPUT_POST, true);
        $confirm = rcube_utils::get_input_string('_confpasswd', rcube_utils::INPUT_POST, true);
        if ($new === '') {
            $this->show_form($this->gettext('nopassword'));
        }
        if ($new !== $confirm) {
            $this->show_form($this->gettext('mismatch'));
        }
        $old = $this->rc->decrypt($pending['pass']);
        if ($new === $old) {
            $this->show_form($this->gettext('same'));
        }
        $error = self::change($pending['dn'], $old, $new);
        if ($error !== null) {
            $this->show_form($error['text']);
        }
        unset($_SESSION['congvu_pwreset']);
        rcube::write_log('password', sprintf('Password of %s changed at login from %s', $pending['user'],
            rcube_utils::remote_ip()));
        // log in as Roundcube always does (index.php, action login), with the new password
        $_POST['_user'] = $pending['user'];
        $_POST['_pass'] = $new;
        $args['action'] = 'login';
        return $args;
    }

    /** The login page with the change form in place of the login form; ends the request. */
    private function show_form($error = null)
    {
        $this->rc->output->add_handler('loginform', function ($attrib) use ($error) {
            return $this->form($attrib, $error);
        });
        $this->rc->output->set_pagetitle($this->gettext('title'));
        $this->rc->output->send('login');
        exit;
    }

    private function form($attrib, $error)
    {
        $config = $this->rc->config;
        $rules = $this->gettext(['name' => 'rules', 'vars' => [
            'min' => $config->get('congvu_password_min_length', 7),
            'classes' => $config->get('congvu_password_classes', 3),
        ]]);
        $hidden = new html_hiddenfield(['name' => '_task', 'value' => 'login']);
        $hidden->add(['name' => '_action', 'value' => self::ACTION]);
        $table = new html_table(['cols' => 2, 'class' => 'propform']);
        foreach (['newpasswd' => 'newpassword', 'confpasswd' => 'confirmpassword'] as $field => $label) {
            $id = 'congvu' . $field;
            $input = new html_passwordfield(['name' => '_' . $field, 'id' => $id, 'required' => 'required',
                'autocomplete' => 'new-password', 'class' => 'form-control', 'size' => 40]);
            $table->add('title', html::label($id, rcube::Q($this->gettext($label))));
            $table->add('input', $input->show());
        }
        $out = html::p(['class' => 'congvu-mustchange', 'id' => 'congvu-mustchange'],
            rcube::Q($this->gettext(['name' => 'mustchange', 'vars' => ['user' => $_SESSION['congvu_pwreset']['user'] ?? '']])));
        if ($error) {
            $out .= html::p(['class' => 'alert alert-danger congvu-error', 'id' => 'congvu-error', 'role' => 'alert'],
                rcube::Q($error));
        }
        $out .= html::p(['class' => 'congvu-rules'], rcube::Q($rules));
        $out .= $hidden->show() . $table->show();
        $out .= html::p(['class' => 'formbuttons'], html::tag('button',
            ['type' => 'submit', 'id' => 'congvusubmit', 'class' => 'button mainaction submit'],
            rcube::Q($this->gettext('change'))));
        return $out;
    }
}
