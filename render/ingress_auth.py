"""nginx.conf of the login check the ingress asks before every UI request (components/ingress_auth.py).

Debian's nginx does the whole job as configuration: `auth_basic` checks the Authorization header
against the htpasswd of every configured login (bcrypt, through the C library's crypt), and only a
request that passes reaches the content phase, which answers 204 with the verified login in
INGRESS_USER_HEADER. Anything else gets 401 with the realm, which the ingress hands to the browser
(it asks for the password again). Nothing of the request is reflected: the header carries
`$remote_user` of a checked login, never a header the client sent.

`return` would answer in the rewrite phase, before `auth_basic` ran; `try_files` of a file that does
not exist answers in the content phase instead, after the check.
"""

from __future__ import annotations

from model.endpoints import INGRESS_AUTH, INGRESS_AUTH_PATH, INGRESS_USER_HEADER

HTPASSWD_FILE = "htpasswd"
REALM = "Waqiti monitoring"
HEALTH_PATH = "/healthz"
# Writable: the pod's /tmp emptyDir (read-only root filesystem).
RUN_DIR = "/tmp"


def render_nginx_conf() -> str:
    user_file = f"{INGRESS_AUTH.dirs['secrets']}/{HTPASSWD_FILE}"
    return f"""# The ingress's login check: 204 + {INGRESS_USER_HEADER} for a valid login, 401 otherwise.
daemon off;
worker_processes 2;
pid {RUN_DIR}/nginx.pid;
error_log stderr warn;

events {{
    worker_connections 512;
}}

http {{
    server_tokens off;
    # Who asked for what: the checked login and the URL the ingress was asked for (never the password).
    log_format login '$time_iso8601 $status user=$remote_user $http_x_original_method "$http_x_original_url"';
    access_log /dev/stdout login;
    client_body_temp_path {RUN_DIR}/client_body;
    proxy_temp_path {RUN_DIR}/proxy;
    fastcgi_temp_path {RUN_DIR}/fastcgi;
    uwsgi_temp_path {RUN_DIR}/uwsgi;
    scgi_temp_path {RUN_DIR}/scgi;
    client_max_body_size 1k;

    server {{
        listen {INGRESS_AUTH.port};

        location = {INGRESS_AUTH_PATH} {{
            auth_basic "{REALM}";
            auth_basic_user_file {user_file};
            add_header {INGRESS_USER_HEADER} $remote_user;
            try_files /nonexistent =204;
        }}

        location = {HEALTH_PATH} {{
            access_log off;
            return 200;
        }}

        location / {{
            return 404;
        }}
    }}
}}
"""
