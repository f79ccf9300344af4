<?php
// Apple configuration profile for one mailbox (Art. 3.2: Apple Mail on macOS, iOS). Managed by
// Ansible (role webmail, docs/webmail.md). GET /mobileconfig?email=<address>. The profile is not
// signed (the device shows "Not Verified"): it holds no secret, only the settings of
// clients.inc.php, and the user types the password on the device.

$c = require __DIR__ . '/clients.inc.php';

$email = trim((string) ($_GET['email'] ?? ''));
// an address of the domain, or of a former domain during a change of domain (clients.inc.php)
$domains = implode('|', array_map(fn($d) => preg_quote($d, '/'), $c['domains']));
if (!preg_match('/^[A-Za-z0-9._+-]+@(' . $domains . ')$/D', $email)) {
    http_response_code(400);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Địa chỉ không thuộc {$c['domain']} / not an address of {$c['domain']}: /mobileconfig?email=<name>@{$c['domain']}\n";
    exit;
}
$email = strtolower($email);

// Stable identifiers: installing the profile again replaces it instead of adding a second account.
function uuid_for($text)
{
    $h = md5($text);
    return strtoupper(sprintf('%s-%s-%s-%s-%s', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
        substr($h, 16, 4), substr($h, 20, 12)));
}

function plist_value($value)
{
    if (is_bool($value)) {
        return $value ? '<true/>' : '<false/>';
    }
    if (is_int($value)) {
        return "<integer>$value</integer>";
    }
    if (is_array($value) && array_is_list($value)) {
        return '<array>' . implode('', array_map('plist_value', $value)) . '</array>';
    }
    if (is_array($value)) {
        $out = '<dict>';
        foreach ($value as $key => $item) {
            $out .= '<key>' . htmlspecialchars($key, ENT_XML1) . '</key>' . plist_value($item);
        }
        return $out . '</dict>';
    }
    return '<string>' . htmlspecialchars((string) $value, ENT_XML1) . '</string>';
}

$id = $c['identifier'] . '.' . md5($email);
$account = [
    'EmailAccountDescription' => $c['display_name'],
    'EmailAccountName' => $email,
    'EmailAccountType' => 'EmailTypeIMAP',
    'EmailAddress' => $email,
    'IncomingMailServerAuthentication' => 'EmailAuthPassword',
    'IncomingMailServerHostName' => $c['host'],
    'IncomingMailServerPortNumber' => $c['ports']['imaps'],
    'IncomingMailServerUseSSL' => true,
    'IncomingMailServerUsername' => $email,
    'OutgoingMailServerAuthentication' => 'EmailAuthPassword',
    'OutgoingMailServerHostName' => $c['host'],
    'OutgoingMailServerPortNumber' => $c['ports']['submissions'],
    'OutgoingMailServerUseSSL' => true,
    'OutgoingMailServerUsername' => $email,
    'OutgoingPasswordSameAsIncomingPassword' => true,
    'PayloadDisplayName' => $email,
    'PayloadIdentifier' => $id . '.account',
    'PayloadType' => 'com.apple.mail.managed',
    'PayloadUUID' => uuid_for($id . '.account'),
    'PayloadVersion' => 1,
    'SMIMEEnabled' => false,
];
$profile = [
    'PayloadContent' => [$account],
    'PayloadDescription' => "Cấu hình thư điện tử cho $email / mail settings for $email",
    'PayloadDisplayName' => $c['display_name'],
    'PayloadIdentifier' => $id,
    'PayloadOrganization' => $c['domain'],
    'PayloadRemovalDisallowed' => false,
    'PayloadType' => 'Configuration',
    'PayloadUUID' => uuid_for($id),
    'PayloadVersion' => 1,
];

header('Content-Type: application/x-apple-aspen-config; charset=utf-8');
header('Content-Disposition: attachment; filename="' . strtok($email, '@') . '.mobileconfig"');
echo '<?xml version="1.0" encoding="UTF-8"?>' . "\n"
    . '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">' . "\n"
    . '<plist version="1.0">' . plist_value($profile) . "</plist>\n";
