"""SIP stack: messages, URIs, SDP, transports, transactions, dialogs (RFC 3261)."""
