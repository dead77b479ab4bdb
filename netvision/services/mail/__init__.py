"""E-mail notification (EN §18.9): events and a daily status to up to 8 recipients, through
a queue on disk that survives restarts. The service is in :mod:`.service`, imported only when
the mail is enabled (the SMTP client stays out of the daemon otherwise)."""
