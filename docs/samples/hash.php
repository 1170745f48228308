<?php
// Chatwoot identity hash in PHP: hash_hmac(algo, data, key): the identifier is the data, the secret the key.

function identifier_hash(string $inboxSecret, string|int $identifier): string
{
    return hash_hmac('sha256', (string) $identifier, $inboxSecret);
}

// Self-check: INBOX_SECRET=... php hash.php IDENTIFIER
if (PHP_SAPI === 'cli' && realpath($argv[0] ?? '') === __FILE__) {
    echo identifier_hash(getenv('INBOX_SECRET'), $argv[1]), "\n";
}
