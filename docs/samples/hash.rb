# Chatwoot identity hash in Ruby: exactly what Chatwoot itself computes.
require 'openssl'

def identifier_hash(inbox_secret, identifier)
  OpenSSL::HMAC.hexdigest('sha256', inbox_secret, identifier.to_s)
end

# Self-check: INBOX_SECRET=... ruby hash.rb IDENTIFIER
puts identifier_hash(ENV.fetch('INBOX_SECRET'), ARGV.fetch(0)) if $PROGRAM_NAME == __FILE__
