package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
)

// accessFlags are the server's settings for who may read and how people sign in. Every
// flag has an environment variable, named beside it, for container deployments.
type accessFlags struct {
	openReads bool

	oidcIssuer, oidcClientID, oidcClientSecret, oidcRedirectURL string
	oidcCLIClientID, oidcGroupsClaim                            string
	roleRules                                                   []string
	roleMappingFile, defaultRole                                string

	proxyUserHeader, proxyGroupsHeader string
	proxyCIDRs                         []string

	sessionTTL    time.Duration
	secureCookies bool

	enrollmentsPerMinute, enrollmentBurst int
}

// envOr returns the environment variable name's value, or fallback when it is unset.
func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// envList splits a comma-separated environment variable.
func envList(name string) []string {
	var out []string
	for _, v := range strings.Split(os.Getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envBool(name string, fallback bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return b
	}
	return fallback
}

func envInt(name string, fallback int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return fallback
}

func envDuration(name string, fallback time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return fallback
}

// add registers the flags on a command that serves the API and the board.
func (f *accessFlags) add(cmd *cobra.Command, openReadsDefault bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.openReads, "open-reads", envBool("TELETRAAN_OPEN_READS", openReadsDefault),
		"let anonymous viewers read the API and the board, for a trusted network ($TELETRAAN_OPEN_READS); changes still need a caller")
	fl.StringVar(&f.oidcIssuer, "oidc-issuer", os.Getenv("TELETRAAN_OIDC_ISSUER"), "OpenID provider's issuer URL: people sign in there ($TELETRAAN_OIDC_ISSUER)")
	fl.StringVar(&f.oidcClientID, "oidc-client-id", os.Getenv("TELETRAAN_OIDC_CLIENT_ID"), "the board's client id at the provider ($TELETRAAN_OIDC_CLIENT_ID)")
	fl.StringVar(&f.oidcClientSecret, "oidc-client-secret", "", "the board's client secret; prefer $TELETRAAN_OIDC_CLIENT_SECRET (a flag shows in ps); never logged")
	fl.StringVar(&f.oidcRedirectURL, "oidc-redirect-url", os.Getenv("TELETRAAN_OIDC_REDIRECT_URL"),
		"where the provider sends people back: https://<board>/auth/oidc/callback ($TELETRAAN_OIDC_REDIRECT_URL)")
	fl.StringVar(&f.oidcCLIClientID, "oidc-cli-client-id", os.Getenv("TELETRAAN_OIDC_CLI_CLIENT_ID"),
		"public client (PKCE, loopback redirect) that teletraan login uses; default the board's ($TELETRAAN_OIDC_CLI_CLIENT_ID)")
	fl.StringVar(&f.oidcGroupsClaim, "oidc-groups-claim", envOr("TELETRAAN_OIDC_GROUPS_CLAIM", "groups"), "claim holding a person's groups ($TELETRAAN_OIDC_GROUPS_CLAIM)")
	fl.StringArrayVar(&f.roleRules, "role", envList("TELETRAAN_ROLES"),
		"map people to a role: group:NAME=ROLE[@ENV,...] or user:EMAIL=ROLE[@ENV,...], ROLE one of READER, OPERATOR, ADMIN; repeat it ($TELETRAAN_ROLES, comma-separated)")
	fl.StringVar(&f.roleMappingFile, "role-mapping-file", os.Getenv("TELETRAAN_ROLE_MAPPING_FILE"), "YAML role mapping (rules: group/user, role, envs; default) ($TELETRAAN_ROLE_MAPPING_FILE)")
	fl.StringVar(&f.defaultRole, "default-role", os.Getenv("TELETRAAN_DEFAULT_ROLE"), "role of every signed-in person without a rule, e.g. READER; empty: none ($TELETRAAN_DEFAULT_ROLE)")
	fl.StringVar(&f.proxyUserHeader, "auth-proxy-header", os.Getenv("TELETRAAN_AUTH_PROXY_HEADER"),
		"trust this header (e.g. X-Forwarded-Email) to name the person, from --auth-proxy-cidr only; off when empty ($TELETRAAN_AUTH_PROXY_HEADER)")
	fl.StringVar(&f.proxyGroupsHeader, "auth-proxy-groups-header", os.Getenv("TELETRAAN_AUTH_PROXY_GROUPS_HEADER"), "header with the person's groups, comma-separated (e.g. X-Forwarded-Groups)")
	fl.StringSliceVar(&f.proxyCIDRs, "auth-proxy-cidr", envList("TELETRAAN_AUTH_PROXY_CIDRS"), "addresses of the sign-in proxies, e.g. 10.0.0.5/32 ($TELETRAAN_AUTH_PROXY_CIDRS)")
	fl.DurationVar(&f.sessionTTL, "session-ttl", envDuration("TELETRAAN_SESSION_TTL", 12*time.Hour), "how long a board session lasts ($TELETRAAN_SESSION_TTL)")
	fl.BoolVar(&f.secureCookies, "secure-cookies", envBool("TELETRAAN_SECURE_COOKIES", false),
		"mark session cookies Secure on plain HTTP too (TLS ends at a proxy); they always are over TLS ($TELETRAAN_SECURE_COOKIES)")
	fl.IntVar(&f.enrollmentsPerMinute, "enrollments-per-minute", envInt("TELETRAAN_ENROLLMENTS_PER_MINUTE", 600),
		"new host ids one token may enroll per minute on each replica, past its burst; -1 turns the limit off ($TELETRAAN_ENROLLMENTS_PER_MINUTE)")
	fl.IntVar(&f.enrollmentBurst, "enrollment-burst", envInt("TELETRAAN_ENROLLMENT_BURST", 1000),
		"new host ids one token may enroll at once ($TELETRAAN_ENROLLMENT_BURST)")
}

// people builds the API's sign-in settings from the flags, refusing an incomplete one.
func (f *accessFlags) people() (api.People, error) {
	p := api.People{SessionTTL: f.sessionTTL, SecureCookies: f.secureCookies}
	if f.sessionTTL != 0 && f.sessionTTL < time.Minute {
		return p, fmt.Errorf("--session-ttl %s is too short: give at least 1m", f.sessionTTL)
	}
	if f.roleMappingFile != "" {
		m, err := api.LoadRoleMapping(f.roleMappingFile)
		if err != nil {
			return p, err
		}
		p.Roles = m
	}
	for _, r := range f.roleRules {
		rule, err := api.ParseRoleRule(r)
		if err != nil {
			return p, fmt.Errorf("--role: %w", err)
		}
		p.Roles.Rules = append(p.Roles.Rules, rule)
	}
	if f.defaultRole != "" {
		p.Roles.Default = strings.ToUpper(f.defaultRole)
	}
	if err := p.Roles.Check(); err != nil {
		return p, fmt.Errorf("role mapping: %w", err)
	}
	secret := f.oidcClientSecret
	if secret == "" {
		secret = os.Getenv("TELETRAAN_OIDC_CLIENT_SECRET")
	}
	if f.oidcIssuer != "" {
		if f.oidcClientID == "" || f.oidcRedirectURL == "" {
			return p, fmt.Errorf("--oidc-issuer needs --oidc-client-id and --oidc-redirect-url (https://<board>/auth/oidc/callback)")
		}
		if !strings.HasSuffix(f.oidcRedirectURL, "/auth/oidc/callback") {
			return p, fmt.Errorf("--oidc-redirect-url %s must end in /auth/oidc/callback, where the board finishes signing in", f.oidcRedirectURL)
		}
		p.OIDC = &api.OIDCConfig{Issuer: f.oidcIssuer, ClientID: f.oidcClientID, ClientSecret: secret,
			RedirectURL: f.oidcRedirectURL, CLIClientID: f.oidcCLIClientID, GroupsClaim: f.oidcGroupsClaim}
	}
	if f.proxyUserHeader != "" {
		if len(f.proxyCIDRs) == 0 {
			return p, fmt.Errorf("--auth-proxy-header needs --auth-proxy-cidr: the addresses of the proxies allowed to send it")
		}
		px := &api.ProxyConfig{UserHeader: f.proxyUserHeader, GroupsHeader: f.proxyGroupsHeader}
		for _, c := range f.proxyCIDRs {
			prefix, err := netip.ParsePrefix(c)
			if err != nil {
				addr, aerr := netip.ParseAddr(c)
				if aerr != nil {
					return p, fmt.Errorf("--auth-proxy-cidr %q is neither an address nor a CIDR such as 10.0.0.0/8", c)
				}
				prefix = netip.PrefixFrom(addr, addr.BitLen())
			}
			px.Trusted = append(px.Trusted, prefix.Masked())
		}
		p.Proxy = px
	}
	return p, nil
}

// apply copies the settings into the API's dependencies.
func (f *accessFlags) apply(d *api.Deps) error {
	people, err := f.people()
	if err != nil {
		return err
	}
	d.People, d.OpenReads = people, f.openReads
	d.EnrollmentsPerMinute, d.EnrollmentBurst = f.enrollmentsPerMinute, f.enrollmentBurst
	return nil
}

// signInSummary says how people sign in, for the start-up log line (no secrets).
func signInSummary(d api.Deps) string {
	var ways []string
	if o := d.People.OIDC; o != nil {
		ways = append(ways, "oidc "+o.Issuer)
	}
	if px := d.People.Proxy; px != nil {
		ways = append(ways, "proxy header "+px.UserHeader)
	}
	if d.People.DevLoginKey != "" {
		ways = append(ways, "dev login link")
	}
	return strings.Join(append(ways, "api tokens"), ", ")
}
