package s3store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// RoleCredentials are the two ways a platform hands a function its role's keys, without
// the rest of the SDK's default chain (shared files, SSO, STS web identity, IMDS), which
// config.LoadDefaultConfig would link in and set up at every start:
//
//   - keys in the environment: AWS Lambda sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
//     and AWS_SESSION_TOKEN to the function role's keys for the life of the instance;
//   - a container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (a path on
//     169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with the token of
//     AWS_CONTAINER_AUTHORIZATION_TOKEN or the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//     names, where a platform serves rotating keys instead (ECS, EKS Pod Identity, and
//     Lambda where it does so).
//
// Keys in the environment win, then the relative URI, then the full one: the default
// chain's order.
type RoleCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string

	ContainerRelativeURI, ContainerFullURI     string
	ContainerAuthToken, ContainerAuthTokenFile string
}

// containerHost is the ECS (and Lambda) credentials endpoint of a relative URI.
const containerHost = "http://169.254.170.2"

// lookupHost resolves a full URI's host name; tests replace it.
var lookupHost = net.DefaultResolver.LookupHost

// Provider returns the credentials provider c describes, or an error naming what is
// missing or wrong. No request is made here: endpoint keys are fetched at the first
// call, then cached and refreshed five minutes before they expire, as the SDK's default
// chain does.
func (c RoleCredentials) Provider(ctx context.Context) (aws.CredentialsProvider, error) {
	switch {
	case c.AccessKeyID != "" || c.SecretAccessKey != "":
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errors.New("s3store: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together")
		}
		return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken), nil
	case c.ContainerRelativeURI != "":
		return c.endpoint(containerHost + c.ContainerRelativeURI), nil
	case c.ContainerFullURI != "":
		if err := checkFullURI(ctx, c.ContainerFullURI); err != nil {
			return nil, err
		}
		return c.endpoint(c.ContainerFullURI), nil
	}
	return nil, errors.New("s3store: no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
		"(which Lambda sets to the function role's keys) and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI are all unset")
}

// endpoint is a cached provider of the container endpoint at uri.
func (c RoleCredentials) endpoint(uri string) aws.CredentialsProvider {
	p := endpointcreds.New(uri, func(o *endpointcreds.Options) {
		o.AuthorizationToken = c.ContainerAuthToken
		if file := c.ContainerAuthTokenFile; file != "" {
			// The file is read at each fetch: the platform rotates the token in it.
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(file)
				if err != nil {
					return "", fmt.Errorf("s3store: container authorization token: %w", err)
				}
				return string(b), nil
			})
		}
	})
	return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 5 * time.Minute })
}

// checkFullURI applies the SDK's rule to AWS_CONTAINER_CREDENTIALS_FULL_URI: https to any
// host, plain http only to loopback or the ECS and EKS credential addresses (a name is
// resolved, and every address it has must be one of those), so keys never travel in
// clear text off the machine.
func checkFullURI(ctx context.Context, uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("s3store: AWS_CONTAINER_CREDENTIALS_FULL_URI %q is not an http(s) URL with a host", uri)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		if addrs, err = lookupHost(ctx, host); err != nil {
			return fmt.Errorf("s3store: AWS_CONTAINER_CREDENTIALS_FULL_URI: %w", err)
		}
	}
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip == nil || !containerIPAllowed(ip) {
			return fmt.Errorf("s3store: AWS_CONTAINER_CREDENTIALS_FULL_URI %q: plain http only to loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23", uri)
		}
	}
	return nil
}

// containerIPAllowed: loopback, the ECS endpoint, and EKS Pod Identity's two addresses.
func containerIPAllowed(ip net.IP) bool {
	return ip.IsLoopback() ||
		ip.Equal(net.IPv4(169, 254, 170, 2)) ||
		ip.Equal(net.IPv4(169, 254, 170, 23)) ||
		ip.Equal(net.ParseIP("fd00:ec2::23"))
}
