#!/bin/bash
# mailstack.sh - run the REAL Debian 12 Postfix + Dovecot (+ rsyslog) on
# loopback only, so that end-to-end tests and fixture captures see the
# exact log lines these daemons write.
#
# Usage (as root, on Debian 12; no systemd and no syslog daemon needed):
#   tests/e2e/mailstack.sh install      apt-get install the packages (by name)
#   tests/e2e/mailstack.sh start        write configs, self-signed cert, start
#                                       rsyslogd, fake remote MX, dovecot, postfix
#   tests/e2e/mailstack.sh stop         stop all that `start` started and put the
#                                       system config back as it was
#   tests/e2e/mailstack.sh logs DIR     copy the captured logs into DIR
#   tests/e2e/mailstack.sh status       show what is running
#
# It can also be sourced (`. mailstack.sh`) to use the mw_* functions; the
# subcommand dispatch only runs when executed.
#
# Safety: every listener and every target is in 127.0.0.0/8. Postfix's
# chroot gets its own resolv.conf pointing at 127.0.0.1 (nothing listens on
# port 53) so that reverse lookups of the 127.0.0.x clients fail at once
# locally instead of querying the machine's real resolver.
#
# Everything the script owns lives under:
#   /etc/mailward-e2e      configs, TLS pair, passwd-file, rsyslog.conf, backups
#   /run/mailward-e2e      pid files, rsyslog work dir
#   /var/log/mailward-e2e  captured logs (mail.log RFC 3339, mail-classic.log,
#                          auth.log, all.log); wiped by each `start`
#   /var/mail/vhosts       virtual mailboxes (Postfix virtual(8) maildirs)
#
# Optional hooks (all unset = the plain stack, as capture-fixtures.sh uses it;
# capture-policy.sh sets them to the docs/examples/ snippets):
#   MW_DOVECOT_EXTRA_CONF=FILE   installed as /etc/dovecot/conf.d/95-mailward.conf
#   MW_POSTFIX_EXTRA_MAIN=FILE   main.cf syntax (name = value, continuation
#                                lines, comments); applied with postconf -e
#                                after the stack's own settings
#   MW_POSTFIX_EXTRA_MASTER=FILE master.cf syntax; each service entry is added
#                                if missing and its -o overrides applied with
#                                postconf -P after the stack's own
#   MW_EXTRA_USERS=FILE          more virtual users, one "user@domain password"
#                                a line (# comments, blank lines skipped),
#                                after mw_virtual_users' own (weakpw-e2e.sh:
#                                accounts with common passwords)
# Files they install are backed up like the rest and put back by 'stop'.

MW_ETC=${MW_ETC:-/etc/mailward-e2e}
MW_RUN=${MW_RUN:-/run/mailward-e2e}
MW_LOG=${MW_LOG:-/var/log/mailward-e2e}
MW_VHOSTS=/var/mail/vhosts
MW_DOMAIN=mailward.test
MW_SYSUSER=mwsys              # a system (PAM) user
MW_SYSPASS='Sys-Pass-2024'
MW_VUID=5000                  # uid/gid that owns the virtual maildirs
MW_FAKEMX_ADDR=127.0.0.2      # fake remote MX (python), RCPT answers by domain
MW_FAKEMX_PORT=2525
MW_CLOSED_ADDR=127.0.0.4      # nothing listens here: connection refused
MW_CLOSED_PORT=2526
MW_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

MW_PACKAGES=(postfix dovecot-imapd dovecot-pop3d dovecot-submissiond
             dovecot-managesieved swaks rsyslog curl openssl python3
             libnet-ssleay-perl libio-socket-ssl-perl)

# Virtual users (passwd-file passdb): name password. 30 mailboxes u01..u30
# receive the nrcpt=30 message.
mw_virtual_users() {
    printf '%s %s\n' \
        "alice@$MW_DOMAIN" 'Alice-Right-1' \
        "bob@$MW_DOMAIN"   'Bob-Right-2' \
        "carol@$MW_DOMAIN" 'Carol-Right-3' \
        "dave@$MW_DOMAIN"  'Dave-Right-4' \
        "erin@$MW_DOMAIN"  'Erin-Right-5' \
        "frank@$MW_DOMAIN" 'Frank-Right-6'
    local i
    for i in $(seq -w 1 30); do
        printf 'u%s@%s U%s-pass\n' "$i" "$MW_DOMAIN" "$i"
    done
    if [ -n "${MW_EXTRA_USERS:-}" ]; then
        grep -Ev '^[[:space:]]*(#|$)' "$MW_EXTRA_USERS" || true
    fi
}

mw_log() { printf 'mailstack: %s\n' "$*" >&2; }
mw_die() { mw_log "error: $*"; exit 1; }
mw_need_root() { [ "$(id -u)" -eq 0 ] || mw_die "must run as root"; }

# python3 to run our helpers: prefer Debian's.
mw_python() {
    if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

mw_wait_dpkg_lock() {
    local i
    for i in $(seq 1 300); do
        if ! fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock >/dev/null 2>&1; then
            return 0
        fi
        [ "$i" = 1 ] && mw_log "waiting for the dpkg lock (another apt-get is running)"
        sleep 2
    done
    mw_log "dpkg lock still held after 10 minutes; trying anyway"
}

mw_apt() {
    mw_wait_dpkg_lock
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# ---------------------------------------------------------------- install
mw_install() {
    mw_need_root
    local missing=() p
    for p in "${MW_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        mw_log "all packages already installed"
        return 0
    fi
    mw_log "installing: ${missing[*]}"
    # Preseed postfix so its postinst asks nothing.
    debconf-set-selections <<EOF
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string vm.$MW_DOMAIN
postfix postfix/destinations string localhost
postfix postfix/protocols select ipv4
EOF
    # apt-get update only if some package has no candidate in the lists.
    local need_update=0
    for p in "${missing[@]}"; do
        if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            need_update=1
        fi
    done
    [ "$need_update" = 1 ] && mw_apt update -qq
    # policy-rc.d refuses service starts during install: harmless here.
    if ! mw_apt install -y -q "${missing[@]}"; then
        mw_log "install failed; retrying after apt-get update"
        mw_apt update -qq
        mw_apt install -y -q "${missing[@]}" || mw_die "apt-get install failed"
    fi
}

# ---------------------------------------------------------------- helpers
mw_pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
mw_pidfile_alive() { [ -s "$1" ] && mw_pid_alive "$(cat "$1")"; }

mw_backup_once() {            # mw_backup_once FILE: keep the first original
    local f=$1 b
    b="$MW_ETC/backup$f"
    [ -e "$b" ] || [ -e "$b.absent" ] && return 0
    mkdir -p "$(dirname "$b")"
    if [ -e "$f" ]; then cp -a "$f" "$b"; else : >"$b.absent"; fi
}

mw_restore_all() {
    [ -d "$MW_ETC/backup" ] || return 0
    local b f
    while IFS= read -r b; do
        f=${b#"$MW_ETC/backup"}
        case $f in
            *.absent) rm -f "${f%.absent}" ;;
            *) cp -a "$b" "$f" ;;
        esac
    done < <(find "$MW_ETC/backup" -type f)
    rm -rf "$MW_ETC/backup"
}

# ---------------------------------------------------------------- configs
mw_write_tls() {
    mkdir -p "$MW_ETC/tls"
    if [ ! -s "$MW_ETC/tls/cert.pem" ] || [ ! -s "$MW_ETC/tls/key.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -subj "/CN=vm.$MW_DOMAIN" \
            -keyout "$MW_ETC/tls/key.pem" -out "$MW_ETC/tls/cert.pem" \
            >/dev/null 2>&1 || mw_die "openssl failed"
    fi
    chmod 600 "$MW_ETC/tls/key.pem"
    chmod 644 "$MW_ETC/tls/cert.pem"
    # Dovecot reads the files named in conf.d/10-ssl.conf at parse time even
    # when a later file overrides them: put the pair there too if missing.
    local f which path
    for which in cert key; do
        path=$(sed -n "s/^ssl_$which = <\(.*\)/\1/p" /etc/dovecot/conf.d/10-ssl.conf 2>/dev/null | head -1)
        if [ -z "$path" ] || [ -e "$path" ]; then continue; fi
        mw_backup_once "$path"
        mkdir -p "$(dirname "$path")"
        if [ "$which" = cert ]; then f=cert.pem; else f=key.pem; fi
        install -m "$([ "$which" = key ] && echo 600 || echo 644)" "$MW_ETC/tls/$f" "$path"
    done
}

mw_write_users() {
    # Virtual mailboxes owner.
    getent group mwvmail >/dev/null || groupadd -g "$MW_VUID" mwvmail
    getent passwd mwvmail >/dev/null || \
        useradd -u "$MW_VUID" -g "$MW_VUID" -d "$MW_VHOSTS" -M -s /usr/sbin/nologin mwvmail
    # Empty mailboxes for each fresh start, so runs are alike.
    if ! mw_pidfile_alive "$MW_RUN/rsyslogd.pid"; then
        rm -rf "${MW_VHOSTS:?}/$MW_DOMAIN"
    fi
    mkdir -p "$MW_VHOSTS/$MW_DOMAIN"
    chown -R mwvmail:mwvmail "$MW_VHOSTS"
    # A system user for the PAM passdb.
    if ! getent passwd "$MW_SYSUSER" >/dev/null; then
        useradd -m -s /bin/bash "$MW_SYSUSER"
    fi
    echo "$MW_SYSUSER:$MW_SYSPASS" | chpasswd
    # Dovecot passwd-file (virtual users) and Postfix virtual mailbox map.
    : >"$MW_ETC/users.passwd"
    : >"$MW_ETC/postfix-vmailbox"
    local u p
    while read -r u p; do
        printf '%s:{PLAIN}%s:%s:%s::%s/%s/%s::\n' "$u" "$p" "$MW_VUID" "$MW_VUID" \
            "$MW_VHOSTS" "$MW_DOMAIN" "${u%@*}" >>"$MW_ETC/users.passwd"
        printf '%s %s/%s/\n' "$u" "$MW_DOMAIN" "${u%@*}" >>"$MW_ETC/postfix-vmailbox"
    done < <(mw_virtual_users)
    chown root:dovecot "$MW_ETC/users.passwd" 2>/dev/null || true
    chmod 640 "$MW_ETC/users.passwd"
}

mw_write_rsyslog() {
    mkdir -p "$MW_RUN/rsyslog" "$MW_LOG" /var/spool/postfix/dev
    cat >"$MW_ETC/rsyslog.conf" <<EOF
# mailward e2e rsyslog: started by tests/e2e/mailstack.sh with -f, so the
# system's /etc/rsyslog.conf is not used. Same messages go to two mail logs:
# Debian 12's default (RFC 3339, RSYSLOG_FileFormat) and the traditional one.
global(workDirectory="$MW_RUN/rsyslog")
module(load="imuxsock" SysSock.Use="on" SysSock.RateLimit.Interval="0")
# Postfix daemons run chrooted in /var/spool/postfix and log to its dev/log.
input(type="imuxsock" Socket="/var/spool/postfix/dev/log" CreatePath="on" RateLimit.Interval="0")
mail.*         action(type="omfile" file="$MW_LOG/mail.log" template="RSYSLOG_FileFormat")
mail.*         action(type="omfile" file="$MW_LOG/mail-classic.log" template="RSYSLOG_TraditionalFileFormat")
auth,authpriv.* action(type="omfile" file="$MW_LOG/auth.log" template="RSYSLOG_FileFormat")
*.*            action(type="omfile" file="$MW_LOG/all.log" template="RSYSLOG_FileFormat")
EOF
}

mw_write_dovecot() {
    local conf=/etc/dovecot/conf.d/99-mailward-test.conf
    mw_backup_once "$conf"
    mw_backup_once /etc/dovecot/conf.d/10-auth.conf
    sed -i 's/^!include auth-system.conf.ext/#!include auth-system.conf.ext  # mailward-e2e/' \
        /etc/dovecot/conf.d/10-auth.conf
    cat >"$conf" <<EOF
# Written by mailward tests/e2e/mailstack.sh; removed by its 'stop'.
listen = 127.0.0.1
protocols = imap pop3 submission sieve
ssl = yes
ssl_cert = <$MW_ETC/tls/cert.pem
ssl_key = <$MW_ETC/tls/key.pem

# Cleartext logins allowed, except for clients from 127.0.0.66, which see
# "disallowed plaintext auth" (as a server with disable_plaintext_auth=yes).
disable_plaintext_auth = no
remote 127.0.0.66 {
  disable_plaintext_auth = yes
}
auth_mechanisms = plain login
auth_verbose = yes
auth_verbose_passwords = sha1:6

mail_location = maildir:$MW_VHOSTS/%d/%n
first_valid_uid = 1000

# Virtual users first (what hosting providers run), then PAM for system
# users (bare names only). 10-auth.conf's "!include auth-system.conf.ext" is
# commented out by mailstack.sh so that this order holds.
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $MW_ETC/users.passwd
}
passdb {
  driver = pam
  username_filter = !*@*
}
userdb {
  driver = passwd-file
  args = username_format=%u $MW_ETC/users.passwd
}
userdb {
  driver = passwd
}

# Dovecot submission (submission-login) on 1587; Postfix owns 587.
submission_relay_host = 127.0.0.1
submission_relay_port = 25
submission_relay_trusted = yes
hostname = vm.$MW_DOMAIN

service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = 1587
  }
}
service managesieve-login {
  inet_listener sieve {
    address = 127.0.0.1
    port = 4190
  }
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
    if [ -n "${MW_DOVECOT_EXTRA_CONF:-}" ]; then
        mw_backup_once /etc/dovecot/conf.d/95-mailward.conf
        install -m 640 -o root -g dovecot "$MW_DOVECOT_EXTRA_CONF" \
            /etc/dovecot/conf.d/95-mailward.conf
    fi
    doveconf -c /etc/dovecot/dovecot.conf >/dev/null 2>"$MW_RUN/doveconf.err" || {
        cat "$MW_RUN/doveconf.err" >&2; mw_die "dovecot config invalid"; }
}

mw_write_postfix() {
    mw_backup_once /etc/postfix/main.cf
    mw_backup_once /etc/postfix/master.cf
    local f
    for f in resolv.conf hosts nsswitch.conf services host.conf localtime; do
        mw_backup_once "/var/spool/postfix/etc/$f"
    done
    mw_backup_once /etc/postfix/mailward-transport
    mw_backup_once /etc/postfix/mailward-transport.db
    mw_backup_once /etc/postfix/mailward-vmailbox
    mw_backup_once /etc/postfix/mailward-vmailbox.db

    cat >/etc/postfix/mailward-transport <<EOF
blocked.test   smtp:[$MW_FAKEMX_ADDR]:$MW_FAKEMX_PORT
tempfail.test  smtp:[$MW_FAKEMX_ADDR]:$MW_FAKEMX_PORT
closed.test    smtp:[$MW_CLOSED_ADDR]:$MW_CLOSED_PORT
EOF
    postmap /etc/postfix/mailward-transport
    mw_backup_once /etc/postfix/mailward-header-checks
    # Log each message's Subject (cleanup "info: header Subject: ..."), as
    # admins do to spot outbound spam.
    printf '/^Subject:/ INFO\n' >/etc/postfix/mailward-header-checks
    cp "$MW_ETC/postfix-vmailbox" /etc/postfix/mailward-vmailbox
    postmap /etc/postfix/mailward-vmailbox

    postconf -e \
        "myhostname = vm.$MW_DOMAIN" \
        "mydomain = $MW_DOMAIN" \
        "myorigin = \$myhostname" \
        "mydestination = \$myhostname, vm, localhost.localdomain, localhost" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "mynetworks = 127.0.0.1/32" \
        "relayhost =" \
        "default_transport = error:outside world is not reachable from this test" \
        "relay_transport = error:outside world is not reachable from this test" \
        "transport_maps = hash:/etc/postfix/mailward-transport" \
        "virtual_mailbox_domains = $MW_DOMAIN" \
        "virtual_mailbox_maps = hash:/etc/postfix/mailward-vmailbox" \
        "virtual_mailbox_base = $MW_VHOSTS" \
        "virtual_uid_maps = static:$MW_VUID" \
        "virtual_gid_maps = static:$MW_VUID" \
        "virtual_transport = virtual" \
        "smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)" \
        "smtpd_tls_cert_file = $MW_ETC/tls/cert.pem" \
        "smtpd_tls_key_file = $MW_ETC/tls/key.pem" \
        "smtpd_tls_security_level = may" \
        "smtpd_tls_loglevel = 1" \
        "smtp_tls_security_level = may" \
        "smtp_tls_loglevel = 1" \
        "smtpd_sasl_type = dovecot" \
        "smtpd_sasl_path = private/auth" \
        "smtpd_sasl_auth_enable = yes" \
        "smtpd_tls_auth_only = no" \
        "smtpd_sasl_authenticated_header = no" \
        "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination" \
        "smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" \
        "smtp_bind_address = 127.0.0.1" \
        "header_checks = regexp:/etc/postfix/mailward-header-checks" \
        "maximal_queue_lifetime = 1d" \
        "bounce_queue_lifetime = 1d"

    # Submission (587) with SASL via Dovecot, AUTH allowed with and without
    # STARTTLS.
    postconf -M "submission/inet=submission inet n - y - - smtpd"
    postconf -P "submission/inet/syslog_name=postfix/submission" \
                "submission/inet/smtpd_tls_security_level=may" \
                "submission/inet/smtpd_sasl_auth_enable=yes" \
                "submission/inet/smtpd_tls_auth_only=no" \
                "submission/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject" \
                "submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject" \
                "submission/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject"

    [ -n "${MW_POSTFIX_EXTRA_MAIN:-}" ] && mw_postfix_extra_main "$MW_POSTFIX_EXTRA_MAIN"
    [ -n "${MW_POSTFIX_EXTRA_MASTER:-}" ] && mw_postfix_extra_master "$MW_POSTFIX_EXTRA_MASTER"

    # Chroot files: our own resolv.conf so lookups never leave loopback.
    mkdir -p /var/spool/postfix/etc
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
        >/var/spool/postfix/etc/resolv.conf
    # Two clients get names (Postfix logs name[ip] for them, unknown[ip] for
    # the rest); the names resolve from this file only.
    { cat /etc/hosts
      echo "127.0.0.31 bob-laptop.dsl.example.net"
      echo "127.0.0.32 vps-32.hosting.example.com"
    } >/var/spool/postfix/etc/hosts
    for f in nsswitch.conf services host.conf localtime; do
        [ -e "/etc/$f" ] && cp -L "/etc/$f" "/var/spool/postfix/etc/$f"
    done
    postfix check 2>&1 | sed 's/^/mailstack: postfix check: /' >&2 || true
}

# mw_postfix_extra_main FILE: apply main.cf-syntax settings (logical lines:
# a line starting with white space continues the previous one).
mw_postfix_extra_main() {
    local line
    while IFS= read -r line; do
        [ -n "$line" ] && postconf -e "$line"
    done < <(awk '
        /^[ \t]*#/ || /^[ \t]*$/ { next }
        /^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur $0; next }
        { if (cur != "") print cur; cur = $0 }
        END { if (cur != "") print cur }' "$1")
}

# mw_postfix_extra_master FILE: add the master.cf-syntax service entries that
# are missing and apply every entry's "-o name=value" with postconf -P.
mw_postfix_extra_master() {
    local kind a b
    while read -r kind a b; do
        case $kind in
            S) postconf -M "$a" >/dev/null 2>&1 && [ -n "$(postconf -M "$a")" ] \
                   || postconf -M "$a=$b" ;;
            O) postconf -P "$a/$b" ;;
        esac
    done < <(awk '
        /^[ \t]*#/ || /^[ \t]*$/ { next }
        /^[^ \t]/ { svc = $1 "/" $2; print "S", svc, $0; next }
        { for (i = 1; i <= NF; i++) if ($i == "-o" && i < NF) { print "O", svc, $(i + 1); i++ } }' "$1")
}

# ---------------------------------------------------------------- start/stop
mw_start_rsyslog() {
    if mw_pidfile_alive "$MW_RUN/rsyslogd.pid"; then
        mw_log "rsyslogd already running (ours)"; return 0
    fi
    if pgrep -x rsyslogd >/dev/null 2>&1 || pgrep -x syslogd >/dev/null 2>&1; then
        mw_die "another syslog daemon is running; stop it first (it owns /dev/log)"
    fi
    rm -f /dev/log /var/spool/postfix/dev/log
    # Daemons get no terminal fds: a caller's pipe must not be held open.
    rsyslogd -f "$MW_ETC/rsyslog.conf" -i "$MW_RUN/rsyslogd.pid" \
        </dev/null >/dev/null 2>"$MW_RUN/rsyslogd.err" \
        || { cat "$MW_RUN/rsyslogd.err" >&2; mw_die "rsyslogd failed to start"; }
    local i
    for i in $(seq 1 50); do
        [ -S /dev/log ] && [ -S /var/spool/postfix/dev/log ] && return 0
        sleep 0.1
    done
    mw_die "rsyslogd did not create /dev/log"
}

mw_start_fakemx() {
    if mw_pidfile_alive "$MW_RUN/fakemx.pid"; then return 0; fi
    "$(mw_python)" "$MW_E2E_DIR/fake_mx.py" --listen "$MW_FAKEMX_ADDR" \
        --port "$MW_FAKEMX_PORT" --lifetime 900 --pidfile "$MW_RUN/fakemx.pid" \
        >>"$MW_LOG/fakemx.log" 2>&1 </dev/null &
    local i
    for i in $(seq 1 50); do
        mw_pidfile_alive "$MW_RUN/fakemx.pid" && return 0
        sleep 0.1
    done
    mw_die "fake MX did not start"
}

mw_start() {
    mw_need_root
    if ! command -v postconf >/dev/null || ! command -v dovecot >/dev/null; then
        mw_die "packages missing: run '$0 install' first"
    fi
    mkdir -p "$MW_ETC" "$MW_RUN" "$MW_LOG"
    # Fresh logs for each start (only when our rsyslogd is not running).
    if ! mw_pidfile_alive "$MW_RUN/rsyslogd.pid"; then
        rm -f "$MW_LOG"/*.log
    fi
    mw_write_tls
    mw_write_users
    mw_write_rsyslog
    mw_write_dovecot
    mw_write_postfix
    if ! mw_postfix_running && ! mw_pidfile_alive "$MW_RUN/rsyslogd.pid"; then
        # Drop mail left from an earlier run (before syslog is up, so that
        # this does not show in the new logs).
        postsuper -d ALL </dev/null >/dev/null 2>&1 || true
    fi
    mw_start_rsyslog
    mw_start_fakemx
    if doveadm process status >/dev/null 2>&1 && [ -s /run/dovecot/master.pid ] \
        && mw_pid_alive "$(cat /run/dovecot/master.pid)"; then
        mw_log "dovecot running: reloading"; doveadm reload </dev/null >/dev/null 2>&1
    else
        dovecot </dev/null >/dev/null 2>"$MW_RUN/dovecot.err" \
            || { cat "$MW_RUN/dovecot.err" >&2; mw_die "dovecot failed to start"; }
    fi
    local i
    for i in $(seq 1 50); do
        [ -S /var/spool/postfix/private/auth ] && break
        sleep 0.1
    done
    [ -S /var/spool/postfix/private/auth ] || mw_die "dovecot auth socket missing"
    if mw_postfix_running; then
        mw_log "postfix running: reloading"; postfix reload </dev/null >/dev/null 2>&1
    else
        postfix start </dev/null >/dev/null 2>"$MW_RUN/postfix.err" \
            || { cat "$MW_RUN/postfix.err" >&2; mw_die "postfix failed to start"; }
    fi
    for i in $(seq 1 50); do
        mw_port_open 127.0.0.1 25 && mw_port_open 127.0.0.1 587 \
            && mw_port_open 127.0.0.1 143 && mw_port_open 127.0.0.1 4190 && break
        sleep 0.2
    done
    echo started >"$MW_RUN/started"
    mw_log "started: rsyslogd, fake MX $MW_FAKEMX_ADDR:$MW_FAKEMX_PORT, dovecot, postfix (logs in $MW_LOG)"
}

mw_port_busy() {   # mw_port_busy PORT: does any TCP socket (any state) use this local port?
    # A client's ephemeral port left in TIME_WAIT blocks a bind even with
    # SO_REUSEADDR, and the test ports are inside the ephemeral range.
    local hexport
    hexport=$(printf '%04X' "$1")
    awk -v p=":$hexport" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

mw_port_open() {   # mw_port_open ADDR PORT: is something LISTENing there?
    # Read /proc/net/tcp instead of connecting, so no probe shows in the logs.
    local hexport hexaddr o1 o2 o3 o4
    IFS=. read -r o1 o2 o3 o4 <<<"$1"
    hexport=$(printf '%04X' "$2")
    hexaddr=$(printf '%02X%02X%02X%02X' "$o4" "$o3" "$o2" "$o1")   # little-endian
    awk -v a="$hexaddr:$hexport" -v any="00000000:$hexport" \
        '$4 == "0A" && ($2 == a || $2 == any) { found = 1 } END { exit !found }' /proc/net/tcp
}

mw_postfix_running() {
    local f=/var/spool/postfix/pid/master.pid
    [ -s "$f" ] && mw_pid_alive "$(tr -dc 0-9 <"$f")"
}

mw_kill_pidfile() {   # mw_kill_pidfile FILE NAME
    local f=$1 name=$2 pid i
    [ -s "$f" ] || { rm -f "$f"; return 0; }
    pid=$(cat "$f")
    if mw_pid_alive "$pid"; then
        kill "$pid" 2>/dev/null
        for i in $(seq 1 50); do mw_pid_alive "$pid" || break; sleep 0.1; done
        mw_pid_alive "$pid" && { mw_log "$name did not stop; SIGKILL"; kill -9 "$pid"; }
    fi
    rm -f "$f"
}

mw_stop() {
    mw_need_root
    local i
    if command -v postfix >/dev/null && mw_postfix_running; then
        postfix stop </dev/null >/dev/null 2>&1
        for i in $(seq 1 50); do mw_postfix_running || break; sleep 0.2; done
    fi
    if command -v doveadm >/dev/null && [ -s /run/dovecot/master.pid ] \
        && mw_pid_alive "$(cat /run/dovecot/master.pid)"; then
        local dpid; dpid=$(cat /run/dovecot/master.pid)
        doveadm stop >/dev/null 2>&1 || kill "$dpid" 2>/dev/null
        for i in $(seq 1 50); do mw_pid_alive "$dpid" || break; sleep 0.1; done
    fi
    mw_kill_pidfile "$MW_RUN/fakemx.pid" "fake MX"
    # Give rsyslogd a moment to write the daemons' last lines.
    sleep 0.5
    mw_kill_pidfile "$MW_RUN/rsyslogd.pid" rsyslogd
    rm -f /dev/log /var/spool/postfix/dev/log
    # Put system config back as it was before the first start.
    if [ "${MW_KEEP_CONFIG:-0}" != 1 ]; then
        mw_restore_all
    fi
    rm -f "$MW_RUN/started"
    mw_log "stopped"
}

mw_status() {
    local p
    for p in rsyslogd.pid fakemx.pid; do
        if mw_pidfile_alive "$MW_RUN/$p"; then echo "${p%.pid}: running ($(cat "$MW_RUN/$p"))"
        else echo "${p%.pid}: stopped"; fi
    done
    if [ -s /run/dovecot/master.pid ] && mw_pid_alive "$(cat /run/dovecot/master.pid)"; then
        echo "dovecot: running"; else echo "dovecot: stopped"; fi
    if mw_postfix_running; then
        echo "postfix: running"; else echo "postfix: stopped"; fi
}

mw_logs() {
    local dir=${1:?usage: logs DIR}
    mkdir -p "$dir"
    local f
    for f in mail.log mail-classic.log auth.log all.log fakemx.log; do
        [ -e "$MW_LOG/$f" ] && cp "$MW_LOG/$f" "$dir/$f"
    done
    mw_log "logs copied to $dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    cmd=${1:-}
    shift || true
    case $cmd in
        install) mw_install ;;
        start)   mw_start ;;
        stop)    mw_stop ;;
        status)  mw_status ;;
        logs)    mw_logs "$@" ;;
        *) echo "usage: $0 install|start|stop|status|logs DIR" >&2; exit 2 ;;
    esac
fi
