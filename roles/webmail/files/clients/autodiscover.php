<?php
// Outlook autodiscover, "POX" (Art. 3.2). Managed by Ansible (role webmail, docs/webmail.md).
// The client POSTs the address it is being set up for; the answer gives the IMAP, POP3 and SMTP
// settings of clients.inc.php (the same variables as the Thunderbird document). Nothing is looked
// up: the answer is the same for every address of the domain, so it tells nobody which exist.

$c = require __DIR__ . '/clients.inc.php';

const NS_RESPONSE = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const NS_OUTLOOK = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

function requested_address()
{
    if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
        return '';
    }
    $body = file_get_contents('php://input', false, null, 0, 16384);
    // LIBXML_NONET: no network access; PHP 8 never loads external entities by itself
    $xml = @simplexml_load_string((string) $body, 'SimpleXMLElement', LIBXML_NONET);
    if ($xml === false) {
        return '';
    }
    $found = $xml->xpath('//*[local-name()="EMailAddress"]');
    return $found ? trim((string) $found[0]) : '';
}

function add(DOMDocument $doc, DOMNode $parent, $name, $text = null)
{
    $node = $parent->appendChild($doc->createElementNS(NS_OUTLOOK, $name));
    if ($text !== null) {
        $node->appendChild($doc->createTextNode((string) $text));
    }
    return $node;
}

$email = requested_address();
$doc = new DOMDocument('1.0', 'utf-8');
$doc->formatOutput = true;
$root = $doc->appendChild($doc->createElementNS(NS_RESPONSE, 'Autodiscover'));
header('Content-Type: application/xml; charset=utf-8');

// an address of the domain, or of a former domain during a change of domain (clients.inc.php)
$domains = implode('|', array_map(fn($d) => preg_quote($d, '/'), $c['domains']));
if (!preg_match('/^[A-Za-z0-9._+-]+@(' . $domains . ')$/D', $email)) {
    $response = $root->appendChild($doc->createElementNS(NS_RESPONSE, 'Response'));
    $error = $response->appendChild($doc->createElementNS(NS_RESPONSE, 'Error'));
    $error->setAttribute('Time', gmdate('H:i:s'));
    $error->setAttribute('Id', '1');
    foreach (['ErrorCode' => '600', 'Message' => 'Invalid Request', 'DebugData' => ''] as $name => $text) {
        $error->appendChild($doc->createElementNS(NS_RESPONSE, $name, $text));
    }
    echo $doc->saveXML();
    exit;
}

$response = $root->appendChild($doc->createElementNS(NS_OUTLOOK, 'Response'));
$user = add($doc, $response, 'User');
add($doc, $user, 'DisplayName', $email);
add($doc, $user, 'AutoDiscoverSMTPAddress', $email);
$account = add($doc, $response, 'Account');
add($doc, $account, 'AccountType', 'email');
add($doc, $account, 'Action', 'settings');
// Implicit TLS for all three (RFC 8314): every Outlook version understands <SSL>on</SSL>
$protocols = [
    ['IMAP', $c['ports']['imaps']],
    ['POP3', $c['ports']['pop3s']],
    ['SMTP', $c['ports']['submissions']],
];
foreach ($protocols as [$type, $port]) {
    $protocol = add($doc, $account, 'Protocol');
    add($doc, $protocol, 'Type', $type);
    add($doc, $protocol, 'Server', $c['host']);
    add($doc, $protocol, 'Port', $port);
    add($doc, $protocol, 'DomainRequired', 'off');
    add($doc, $protocol, 'LoginName', $email);
    add($doc, $protocol, 'SPA', 'off');
    add($doc, $protocol, 'SSL', 'on');
    add($doc, $protocol, 'AuthRequired', 'on');
    if ($type === 'SMTP') {
        add($doc, $protocol, 'UsePOPAuth', 'on');
    }
}
echo $doc->saveXML();
