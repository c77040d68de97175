package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// writeMarkdown prints the report as the Markdown table the README quotes. memory names
// what peakRSS covers: the stack and the generator in one process, or the generator alone.
func writeMarkdown(w io.Writer, r *Report, setup, memory string, peakRSS int64) {
	fmt.Fprintf(w, "%s\n\n", setup)
	fmt.Fprintf(w, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(w, "| complete verifications | %d in %.2f s |\n", r.Completed, r.Elapsed.Seconds())
	fmt.Fprintf(w, "| verifications/s | %.0f |\n", r.Rate())
	fmt.Fprintf(w, "| failed verifications | %d |\n", r.Failed)
	if peakRSS > 0 {
		fmt.Fprintf(w, "| peak RSS (VmHWM), %s | %.1f MiB |\n", memory, float64(peakRSS)/(1<<20))
	}
	fmt.Fprintf(w, "\n| stage | requests | errors | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range stages {
		d := r.Latencies[s]
		var top time.Duration
		if len(d) > 0 {
			top = d[len(d)-1]
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s |\n", s, len(d), r.Errors[s],
			ms(percentile(d, 50)), ms(percentile(d, 90)), ms(percentile(d, 99)), ms(top))
	}
	for _, s := range stages {
		if msg := r.FirstError[s]; msg != "" {
			fmt.Fprintf(w, "\nfirst error in %s: %s\n", s, msg)
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// peakRSS reads the process's peak resident set size (VmHWM) from /proc/self/status.
// It returns 0 where /proc is not available.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseVmHWM(data)
}

func parseVmHWM(status []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
