"""The codes of the manual's mail debug page (App. Troubleshooting "Email error code list"),
apart from the sender so that the web pages name them without loading the SMTP client."""

CANNOT_CONNECT = "001"
UNKNOWN = "002"
SERVER_UNABLE = "101"
REFUSED = "111"
CODES = (CANNOT_CONNECT, UNKNOWN, SERVER_UNABLE, REFUSED)
