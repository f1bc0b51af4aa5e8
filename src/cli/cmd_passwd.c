/*
 * cmd_passwd - `mailward passwd check|audit|pwhash`: the command-line face
 * of src/passwd. check reads one candidate password on stdin and applies
 * pwcheck's rules (exit 0 acceptable, 1 not); audit reads Dovecot
 * passwd-files and guesses with pwaudit on all cores (weak accounts on
 * stdout, bad lines as FILE:LINE on stderr, exit 1 if any); pwhash prints
 * Dovecot's auth-policy fingerprint of a password. Passwords are read only
 * from stdin, wiped after use, and printed only by `audit --show`.
 */
#include "cli.h"

#include "../passwd/pwaudit.h"
#include "../passwd/pwcheck.h"
#include "../passwd/pwfile.h"
#include "../passwd/pwhash.h"
#include "../passwd/pwlist.h"
#include "../passwd/pwscan.h"
#include "../util/linereader.h"
#include "../util/outbuf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PW_INPUT_MAX 4096
#define SYSTEM_LIST "/var/lib/mailward/passwords.txt"
#define FETCH_HINT "run scripts/fetch-passwords.sh"

static void usage_top(FILE *f)
{
    fprintf(f,
            "Usage: mailward passwd check [OPTIONS] < password\n"
            "       mailward passwd audit [OPTIONS] FILE...\n"
            "       mailward passwd pwhash [OPTIONS] < password\n"
            "\n"
            "  check   is a new password acceptable? (NIST SP 800-63B rules; exit 0 yes, 1 no)\n"
            "  audit   guess the passwords of a Dovecot passwd-file; report weak accounts\n"
            "  pwhash  Dovecot's auth-policy fingerprint (pwhash=) of a password\n"
            "\n"
            "Run 'mailward passwd SUBCOMMAND --help' for the options. See docs/passwd.md.\n");
}

/* ---- shared helpers ---- */

/* passwd_default_list - $MAILWARD_PASSWORDS, data/passwords.txt of the source
 * tree, /var/lib/mailward/passwords.txt: the first that exists, else NULL */
static const char *passwd_default_list(char *buf, size_t n)
{
    const char *env = getenv("MAILWARD_PASSWORDS");
    if (env && *env)
        return env;
#ifdef MW_SOURCE_DIR
    snprintf(buf, n, "%s/data/passwords.txt", MW_SOURCE_DIR);
    if (access(buf, F_OK) == 0)
        return buf;
#else
    (void)buf;
    (void)n;
#endif
    if (access(SYSTEM_LIST, F_OK) == 0)
        return SYSTEM_LIST;
    return NULL;
}

/* open_list - the list named or the default; NULL (said on stderr) if none */
static struct pwlist *open_list(const char *cmd, const char *given, const char **path_out)
{
    char buf[4096], err[512];
    const char *path = given ? given : passwd_default_list(buf, sizeof(buf));
    *path_out = NULL;
    if (!path) {
        fprintf(stderr,
                "mailward passwd %s: no list of common passwords: MAILWARD_PASSWORDS is not set and "
                "neither data/passwords.txt nor " SYSTEM_LIST " exists; " FETCH_HINT
                " (or give --list FILE)\n",
                cmd);
        return NULL;
    }
    struct pwlist *l = pwlist_open(path, err, sizeof(err));
    if (!l) {
        fprintf(stderr, "mailward passwd %s: cannot use the password list: %s; " FETCH_HINT "\n", cmd, err);
        return NULL;
    }
    static char kept[4096];
    snprintf(kept, sizeof(kept), "%s", path);
    *path_out = kept;
    return l;
}

/* read_secret - the first line of stdin (no echo on a terminal), without
 * its line end; 0, or -1 (said on stderr) */
static int read_secret(const char *cmd, char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "Password: ");
        fflush(stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    size_t n = 0;
    int got_any = 0, too_long = 0, rc = 0;
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "mailward passwd %s: reading stdin: %s\n", cmd, strerror(errno));
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        got_any = 1;
        if (c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
        else
            too_long = 1;
    }
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (rc == 0 && !got_any) {
        fprintf(stderr, "mailward passwd %s: no password on standard input (it is never taken from the "
                        "command line)\n", cmd);
        rc = -1;
    }
    if (rc == 0 && too_long) {
        fprintf(stderr, "mailward passwd %s: the password is longer than %d bytes\n", cmd, PW_INPUT_MAX - 1);
        rc = -1;
    }
    *len = n;
    return rc;
}

static int parse_num(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "mailward passwd %s: %s wants a number from %ld to %ld, not '%s'\n", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int this_year(void)
{
    time_t t = time(NULL);
    struct tm tm;
    return localtime_r(&t, &tm) ? tm.tm_year + 1900 : 2025;
}

/* ---- check ---- */

static void check_usage(FILE *f)
{
    fprintf(f,
            "Usage: mailward passwd check [OPTIONS] < password\n"
            "\n"
            "Reads a candidate password (the first line of stdin; never from the command\n"
            "line) and says whether it is acceptable, after NIST SP 800-63B: long enough\n"
            "(counted in characters, any printable Unicode), not a common or breached\n"
            "password or a simple variant of one, not built from the user name, the\n"
            "domain or mail service words, not repetitive or sequential, and not easy to\n"
            "guess by zxcvbn's estimate. The password itself is never printed.\n"
            "\n"
            "  --user NAME            the account (user or user@domain)\n"
            "  --domain DOMAIN        the mail domain (default: the part of --user after @)\n"
            "  --list FILE            common passwords, one a line, most common first\n"
            "                         (default: $MAILWARD_PASSWORDS, data/passwords.txt,\n"
            "                         " SYSTEM_LIST "; built by scripts/fetch-passwords.sh)\n"
            "  --breach PATH          offline Pwned Passwords corpus: a sorted SHA1:COUNT file\n"
            "                         or a directory of 5-hex-digit range files\n"
            "  --min-length N         minimum characters (default 8)\n"
            "  --recommended-length N fewer than this is a warning (default 15)\n"
            "  --max-length N         maximum characters (default 1024)\n"
            "  --min-entropy BITS     zxcvbn estimate floor (default 30; 0 turns it off)\n"
            "  --json                 one JSON object instead of text\n"
            "  -h, --help             this help\n"
            "\n"
            "Exit status: 0 acceptable, 1 not acceptable, 2 usage error or no password.\n");
}

static void put_reasons(struct outbuf *ob, const struct pwcheck_reason *r, size_t n)
{
    outbuf_putc(ob, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            outbuf_putc(ob, ',');
        outbuf_puts_lit(ob, "{\"code\":");
        outbuf_put_json_string(ob, pwcheck_code_name(r[i].code), strlen(pwcheck_code_name(r[i].code)));
        outbuf_puts_lit(ob, ",\"message\":");
        outbuf_put_json_string(ob, r[i].msg, strlen(r[i].msg));
        outbuf_putc(ob, '}');
    }
    outbuf_putc(ob, ']');
}

static int cmd_check(int argc, char **argv)
{
    enum { O_USER = 1000, O_DOMAIN, O_LIST, O_BREACH, O_MIN, O_REC, O_MAX, O_ENT, O_JSON };
    static const struct option longopts[] = {
        {"user", required_argument, NULL, O_USER},     {"domain", required_argument, NULL, O_DOMAIN},
        {"list", required_argument, NULL, O_LIST},     {"breach", required_argument, NULL, O_BREACH},
        {"min-length", required_argument, NULL, O_MIN}, {"recommended-length", required_argument, NULL, O_REC},
        {"max-length", required_argument, NULL, O_MAX}, {"min-entropy", required_argument, NULL, O_ENT},
        {"json", no_argument, NULL, O_JSON},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct pwcheck_opts o;
    pwcheck_defaults(&o);
    const char *list_arg = NULL;
    int json = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': check_usage(stdout); return EXIT_OK;
        case O_USER: o.user = optarg; break;
        case O_DOMAIN: o.domain = optarg; break;
        case O_LIST: list_arg = optarg; break;
        case O_BREACH: o.breach_path = optarg; break;
        case O_MIN: if (parse_num("check", "--min-length", optarg, 1, 4096, &v)) return EXIT_USAGE; o.min_len = (size_t)v; break;
        case O_REC: if (parse_num("check", "--recommended-length", optarg, 1, 4096, &v)) return EXIT_USAGE; o.recommend_len = (size_t)v; break;
        case O_MAX: if (parse_num("check", "--max-length", optarg, 8, 4096, &v)) return EXIT_USAGE; o.max_len = (size_t)v; break;
        case O_ENT: if (parse_num("check", "--min-entropy", optarg, 0, 1000, &v)) return EXIT_USAGE; o.min_entropy = (double)v; break;
        case O_JSON: json = 1; break;
        default:
            fprintf(stderr, "mailward passwd check: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mailward passwd check: the password is read from stdin, never from the command line "
                        "(unexpected '%s'; see --help)\n", "...");
        return EXIT_USAGE;
    }
    if (o.min_len > o.max_len) {
        fprintf(stderr, "mailward passwd check: --min-length is above --max-length\n");
        return EXIT_USAGE;
    }
    const char *list_path = NULL;
    struct pwlist *list = open_list("check", list_arg, &list_path);
    if (!list && list_arg)
        return EXIT_USAGE; /* a list was asked for and cannot be read */
    if (!list)
        fprintf(stderr, "mailward passwd check: checking without the common-password list; the other rules "
                        "still apply\n");
    o.list = list;
    char pw[PW_INPUT_MAX];
    size_t len;
    if (read_secret("check", pw, sizeof(pw), &len) < 0) {
        explicit_bzero(pw, sizeof(pw));
        pwlist_close(list);
        return EXIT_USAGE;
    }
    struct pwcheck_result r;
    pwcheck_run(&o, pw, len, &r);
    explicit_bzero(pw, sizeof(pw));

    struct outbuf ob;
    outbuf_init(&ob, 4096);
    if (json) {
        outbuf_puts_lit(&ob, "{\"acceptable\":");
        outbuf_puts(&ob, r.ok ? "true" : "false");
        outbuf_puts_lit(&ob, ",\"length\":");
        outbuf_put_u64(&ob, r.codepoints);
        outbuf_puts_lit(&ob, ",\"entropy_bits\":");
        char num[64];
        if (r.entropy >= 0) {
            snprintf(num, sizeof(num), "%.1f", r.entropy);
            outbuf_puts(&ob, num);
        } else {
            outbuf_puts_lit(&ob, "null");
        }
        outbuf_puts_lit(&ob, ",\"reasons\":");
        put_reasons(&ob, r.reasons, r.nreasons);
        outbuf_puts_lit(&ob, ",\"warnings\":");
        put_reasons(&ob, r.warnings, r.nwarnings);
        outbuf_puts_lit(&ob, ",\"list\":");
        if (list_path)
            outbuf_put_json_string(&ob, list_path, strlen(list_path));
        else
            outbuf_puts_lit(&ob, "null");
        outbuf_puts_lit(&ob, ",\"list_size\":");
        outbuf_put_u64(&ob, pwlist_count(list));
        outbuf_puts_lit(&ob, ",\"breach_count\":");
        if (r.breach_count >= 0)
            outbuf_put_i64(&ob, r.breach_count);
        else
            outbuf_puts_lit(&ob, "null");
        outbuf_puts_lit(&ob, "}\n");
    } else {
        char line[512];
        snprintf(line, sizeof(line), "%s\n", r.ok ? "acceptable" : "not acceptable");
        outbuf_puts(&ob, line);
        for (size_t i = 0; i < r.nreasons; i++) {
            snprintf(line, sizeof(line), "  %s: %s\n", pwcheck_code_name(r.reasons[i].code), r.reasons[i].msg);
            outbuf_puts(&ob, line);
        }
        for (size_t i = 0; i < r.nwarnings; i++) {
            snprintf(line, sizeof(line), "  warning %s: %s\n", pwcheck_code_name(r.warnings[i].code),
                     r.warnings[i].msg);
            outbuf_puts(&ob, line);
        }
        if (r.entropy >= 0) {
            snprintf(line, sizeof(line), "  strength: about 10^%.1f guesses (zxcvbn %.1f bits)\n",
                     r.entropy * 0.30103, r.entropy);
            outbuf_puts(&ob, line);
        }
    }
    int wr = outbuf_flush(&ob, stdout);
    outbuf_free(&ob);
    pwlist_close(list);
    if (wr < 0 || fflush(stdout) != 0)
        return EXIT_USAGE;
    return r.ok ? EXIT_OK : EXIT_INPUT;
}

/* ---- pwhash ---- */

static void pwhash_usage(FILE *f)
{
    fprintf(f,
            "Usage: mailward passwd pwhash [OPTIONS] < password\n"
            "\n"
            "Prints Dovecot's auth-policy fingerprint of the password on stdin, as Dovecot\n"
            "2.3 sends it to a policy server (pwhash=, %%{hashed_password}):\n"
            "hex(truncate(H(nonce || user || NUL || password), bits)).\n"
            "\n"
            "  --nonce STRING   auth_policy_hash_nonce (required by Dovecot; default \"\")\n"
            "  --user NAME      the login user as Dovecot hashes it (default \"\")\n"
            "  --mech NAME      auth_policy_hash_mech: md5 sha1 sha256 sha384 sha512\n"
            "                   sha3-256 sha3-512 (default sha256)\n"
            "  --bits N         auth_policy_hash_truncate (default 12; 0 = whole digest)\n"
            "  -h, --help       this help\n");
}

static int cmd_pwhash(int argc, char **argv)
{
    enum { O_NONCE = 1000, O_USER, O_MECH, O_BITS };
    static const struct option longopts[] = {
        {"nonce", required_argument, NULL, O_NONCE}, {"user", required_argument, NULL, O_USER},
        {"mech", required_argument, NULL, O_MECH},   {"bits", required_argument, NULL, O_BITS},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    const char *nonce = "", *user = "";
    enum pwhash_mech mech = PWHASH_SHA256;
    long bits = 12;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': pwhash_usage(stdout); return EXIT_OK;
        case O_NONCE: nonce = optarg; break;
        case O_USER: user = optarg; break;
        case O_MECH:
            if (pwhash_mech_parse(optarg, &mech) < 0) {
                fprintf(stderr, "mailward passwd pwhash: unknown --mech '%s' (see --help)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_BITS: if (parse_num("pwhash", "--bits", optarg, 0, 512, &bits)) return EXIT_USAGE; break;
        default:
            fprintf(stderr, "mailward passwd pwhash: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mailward passwd pwhash: the password is read from stdin, never from the command line\n");
        return EXIT_USAGE;
    }
    if ((unsigned)bits > pwhash_digest_bits(mech)) {
        fprintf(stderr, "mailward passwd pwhash: --bits %ld is more than %s's %u bits\n", bits,
                pwhash_mech_name(mech), pwhash_digest_bits(mech));
        return EXIT_USAGE;
    }
    char pw[PW_INPUT_MAX], hex[PWHASH_HEX_MAX];
    size_t len;
    if (read_secret("pwhash", pw, sizeof(pw), &len) < 0) {
        explicit_bzero(pw, sizeof(pw));
        return EXIT_USAGE;
    }
    int n = pwhash_compute(mech, nonce, user, pw, (unsigned)bits, hex);
    explicit_bzero(pw, sizeof(pw));
    if (n < 0) {
        fprintf(stderr, "mailward passwd pwhash: hashing failed\n");
        return EXIT_USAGE;
    }
    printf("%s\n", hex);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* ---- audit ---- */

static void audit_usage(FILE *f)
{
    fprintf(f,
            "Usage: mailward passwd audit [OPTIONS] FILE...\n"
            "\n"
            "Reads Dovecot passwd-files (user:{SCHEME}hash[:uid:gid:...]; '-' is stdin,\n"
            "gzip is read transparently) and tries, for every account, guesses built\n"
            "from its name (john, John2025, john123, ...) and the most common passwords\n"
            "of the list, on all cores. Reports weak accounts: guessed passwords, weak\n"
            "schemes (plaintext, unsalted digests, MD5-CRYPT, DES) and plaintext\n"
            "passwords that fail the 'passwd check' rules. Schemes: SHA512-CRYPT,\n"
            "SHA256-CRYPT, BLF-CRYPT, ARGON2I, ARGON2ID, SSHA512, SSHA256, SSHA, SMD5,\n"
            "MD5-CRYPT, CRYPT, PLAIN/CLEAR, SHA512, SHA256, SHA, PLAIN-MD5/LDAP-MD5/MD5.\n"
            "\n"
            "  --list FILE         common passwords, most common first (default:\n"
            "                      $MAILWARD_PASSWORDS, data/passwords.txt, " SYSTEM_LIST ")\n"
            "  --top N             common passwords tried per account (default 100)\n"
            "  --user-guesses N    guesses from the account name (default 40)\n"
            "  --threads N         worker threads (default: the number of cores)\n"
            "  --json              one JSON object a finding: file, line, account, scheme,\n"
            "                      reason (weak_scheme, guessed, weak_password), detail\n"
            "  --show              also print the password found (off by default)\n"
            "  --stats             a summary line on stderr: accounts, guesses, guesses/s\n"
            "  --no-progress       no progress line on a terminal (stderr)\n"
            "  -h, --help          this help\n"
            "\n"
            "Cost: each guess costs one hash; SHA512-CRYPT about 2 ms, BLF-CRYPT cost 10\n"
            "about 60 ms, ARGON2 as configured, per core.\n"
            "\n"
            "Exit status: 0 all lines read; 1 some line, file or hash could not be read\n"
            "(each reported on stderr as FILE:LINE); 2 usage error. Weak accounts do not\n"
            "change the exit status: read the report.\n");
}

static int cmd_passwd_audit(int argc, char **argv)
{
    enum { O_LIST = 1000, O_TOP, O_UG, O_THREADS, O_JSON, O_SHOW, O_STATS, O_NOPROG, O_BATCH };
    static const struct option longopts[] = {
        {"list", required_argument, NULL, O_LIST},       {"top", required_argument, NULL, O_TOP},
        {"user-guesses", required_argument, NULL, O_UG}, {"threads", required_argument, NULL, O_THREADS},
        {"json", no_argument, NULL, O_JSON},             {"show", no_argument, NULL, O_SHOW},
        {"stats", no_argument, NULL, O_STATS},           {"no-progress", no_argument, NULL, O_NOPROG},
        {"batch", required_argument, NULL, O_BATCH},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct pwscan_opts o;
    memset(&o, 0, sizeof(o));
    pwaudit_defaults(&o.audit);
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    o.audit.threads = nproc > 0 ? (unsigned)nproc : 1;
    o.audit.year = this_year();
    o.progress = isatty(STDERR_FILENO);
    const char *list_arg = NULL;
    int stats = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': audit_usage(stdout); return EXIT_OK;
        case O_LIST: list_arg = optarg; break;
        case O_TOP: if (parse_num("audit", "--top", optarg, 0, 10000000, &v)) return EXIT_USAGE; o.audit.top_n = (size_t)v; break;
        case O_UG: if (parse_num("audit", "--user-guesses", optarg, 0, 1000, &v)) return EXIT_USAGE; o.audit.user_guesses = (size_t)v; break;
        case O_THREADS: if (parse_num("audit", "--threads", optarg, 1, 1024, &v)) return EXIT_USAGE; o.audit.threads = (unsigned)v; break;
        case O_BATCH: if (parse_num("audit", "--batch", optarg, 1, 1000000, &v)) return EXIT_USAGE; o.batch = (size_t)v; break;
        case O_JSON: o.json = 1; break;
        case O_SHOW: o.show = 1; break;
        case O_STATS: stats = 1; break;
        case O_NOPROG: o.progress = 0; break;
        default:
            fprintf(stderr, "mailward passwd audit: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mailward passwd audit: no FILE given (a Dovecot passwd-file, '-' for stdin; see --help)\n");
        return EXIT_USAGE;
    }
    const char *list_path = NULL;
    struct pwlist *list = open_list("audit", list_arg, &list_path);
    if (!list && list_arg)
        return EXIT_USAGE;
    if (!list)
        fprintf(stderr, "mailward passwd audit: trying only each account's own guesses\n");
    o.audit.list = list;
    struct pwscan_summary s;
    int rc = pwscan_run(&o, argv + optind, argc - optind, stdout, stderr, &s);
    if (stats || (!o.json && o.progress))
        fprintf(stderr,
                "mailward passwd audit: %llu accounts, %llu weak (%llu guessed, %llu weak schemes, %llu plaintext "
                "failing the rules), %llu bad lines; %llu guesses in %.2f s (%.0f/s, %u threads)\n",
                (unsigned long long)s.accounts, (unsigned long long)s.weak_accounts,
                (unsigned long long)s.guessed, (unsigned long long)s.weak_schemes,
                (unsigned long long)s.weak_plain, (unsigned long long)s.bad_lines,
                (unsigned long long)s.hashes, s.seconds, s.seconds > 0 ? (double)s.hashes / s.seconds : 0.0,
                o.audit.threads);
    pwlist_close(list);
    if (fflush(stdout) != 0)
        return EXIT_INPUT;
    return rc < 0 ? EXIT_INPUT : EXIT_OK;
}

int cmd_passwd(int argc, char **argv)
{
    if (argc < 2) {
        usage_top(stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage_top(stdout);
        return EXIT_OK;
    }
    if (strcmp(sub, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(sub, "audit") == 0)
        return cmd_passwd_audit(argc - 1, argv + 1);
    if (strcmp(sub, "pwhash") == 0)
        return cmd_pwhash(argc - 1, argv + 1);
    fprintf(stderr, "mailward passwd: unknown subcommand '%s' (check, audit, pwhash; see --help)\n", sub);
    return EXIT_USAGE;
}
