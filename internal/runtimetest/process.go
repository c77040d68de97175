// Package runtimetest plays the platforms' side of the runtime protocols against a real
// built function binary: a stand-in for the AWS Lambda Runtime API, a stand-in for the
// Tencent SCF Go1 runtime (net/rpc), and the process handling both need. None of the
// platforms is reachable from a developer machine or CI, so this is how the adapters in
// pkg/platform and pkg/scfrpc are tested, and how cmd/coldstart and cmd/emulate drive
// the packaged functions.
//
// The stand-ins deliver whatever payload they are given (HTTP events, timer events, any
// JSON) and report what the function answered without interpreting it: what an answer
// should look like is for the caller to check.
//
// Each operation comes in two forms: one that returns an error, for programs, and one
// that takes a T and fails the test, with the function's output in the message, for tests.
package runtimetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrExited is wrapped by the errors of operations that ended because the function's
// process exited under them, so callers can tell a crash from a slow start.
var ErrExited = errors.New("process exited")

// Process is a function binary started the way a platform starts it: with exactly the
// environment the platform would set, and its output kept so that a failure can show what
// the function logged and tests can search its log records.
type Process struct {
	// MayFail keeps Start's clean-up from reporting an exit with an error, for tests that
	// expect the process to fail.
	MayFail bool

	name   string
	cmd    *exec.Cmd
	output Buffer
	done   chan struct{}
	err    error // valid once done is closed
}

// StartProcess runs name with args and the environment env plus PATH (a PATH in env
// wins), so a function sees no variable of the caller's that the platform would not set.
// The process leads a process group of its own: Stop reaches whatever it starts too (the
// RIE starts the function binary as its child).
func StartProcess(env []string, name string, args ...string) (*Process, error) {
	cmd := exec.Command(name, args...)
	// exec keeps the last of duplicate keys, so PATH goes first.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A child that outlives its parent keeps the output pipe open; without a bound,
	// waiting for the parent would wait for the child too.
	cmd.WaitDelay = 2 * time.Second
	p := &Process{name: filepath.Base(name), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.output, &p.output
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id, for reading /proc/<pid>.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is everything the process has written to stdout and stderr so far, interleaved
// as written.
func (p *Process) Output() string { return p.output.String() }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait blocks until the process exits and returns its exit error (nil for status 0).
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Stop ends the process the way a platform retires an instance: SIGTERM, so the function
// can finish cleanly, then SIGKILL if it has not exited after grace, which is reported as
// an error. It returns the exit error; stopping a process that has exited only returns it.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("no exit %v after SIGTERM (killed: %v)", grace, p.err)
	}
}

// exitError describes the exit of a process that ended an operation.
func (p *Process) exitError() error { return fmt.Errorf("%w (%v)", ErrExited, p.err) }

// FreePort returns a loopback port that was free a moment ago, for a server the function
// or a stand-in is about to open.
func FreePort() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer lis.Close()
	return strconv.Itoa(lis.Addr().(*net.TCPAddr).Port), nil
}

// WaitUntil calls ready every interval until it returns nil, p exits (p may be nil), or ctx
// ends. It is how a platform waits for a fresh process to come up; the interval is the
// caller's because a cold-start measurement needs a finer one than a test.
func WaitUntil(ctx context.Context, p *Process, interval time.Duration, ready func() error) error {
	for {
		err := ready()
		if err == nil {
			return nil
		}
		var exited <-chan struct{}
		if p != nil {
			exited = p.done
		}
		select {
		case <-exited:
			return p.exitError()
		default:
		}
		select {
		case <-exited:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%w; last attempt: %v", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// Dialable is a readiness check for WaitUntil: the address accepts TCP connections.
func Dialable(addr string) func() error {
	return func() error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// VariantTags are the build tags of each build variant, as the Makefile's TAGS_lambda and
// TAGS_scf give them: "lambda" is the AWS Lambda build (the Lambda runtime and the S3
// store), "scf" the Tencent SCF build (the SCF runtimes and the COS store), "" the build
// that carries everything (the local binary). See pkg/platform's Variant.
var VariantTags = map[string]string{
	"":       "lambda.norpc",
	"lambda": "lambda lambda.norpc nethttpomithttp2",
	"scf":    "scf nethttpomithttp2",
}

// GoBuild builds pkg (a path relative to moduleDir) into out as the build that carries
// every runtime and store: GoBuildVariant with variant "".
func GoBuild(moduleDir, out, pkg string) error {
	return GoBuildVariant(moduleDir, out, pkg, "")
}

// GoBuildVariant builds pkg (a path relative to moduleDir) into out the way `make build`
// builds the functions for a platform (VariantTags): static, trimmed, with any further
// flags (such as "-ldflags=-s -w") before the package. It runs the go command found
// first on PATH, which under go test is the one running the test.
func GoBuildVariant(moduleDir, out, pkg, variant string, flags ...string) error {
	tags, ok := VariantTags[variant]
	if !ok {
		return fmt.Errorf("no build variant %q", variant)
	}
	args := append([]string{"build", "-trimpath", "-tags", tags, "-o", out}, flags...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v: %s", pkg, err, b)
	}
	return nil
}

// SCFWebBootstrap lays out dir the way SCF unpacks a web function's package, so bootstrap
// (deploy/scf_bootstrap) can run here: binary is copied to dir/main and the script's
// absolute /var/user/ paths are pointed at dir. It returns the script to start.
func SCFWebBootstrap(dir, bootstrap, binary string) (string, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main"), bin, 0o755); err != nil {
		return "", err
	}
	script, err := os.ReadFile(bootstrap)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "scf_bootstrap")
	local := strings.ReplaceAll(string(script), "/var/user/", dir+"/")
	return path, os.WriteFile(path, []byte(local), 0o755)
}

// Buffer collects output that other goroutines write while the caller reads it: a
// process's output, copied by exec's goroutines, or the log of a server running in the
// test. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
