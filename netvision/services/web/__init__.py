"""The web service: HTTP and HTTPS listeners serving the pages and the REST API
(EN §3.4–3.5, §11–§21). The service is in :mod:`.service`, imported only when a web
listener is enabled; the package itself loads nothing, so the NUT server can use the
certificates (:mod:`.tls`) without the web's libraries."""
