// Command follow prints a stepstream run's events as they happen, using only Go's standard
// library: it reads the Server-Sent Events form of the events endpoint, prints each event's
// envelope (JSON) once, one per line, until run_complete, and when the connection drops it
// reconnects with Last-Event-ID set to the last seq it printed, so nothing is lost or doubled.
//
// Usage: go run follow.go SERVER_URL RUN_ID [AFTER]   (STEPSTREAM_TOKEN: a bearer token, if needed)
// Exit: 0 when the run ends success, 1 when it ends otherwise, 2 when it cannot be followed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const giveUpAfter = 30 * time.Second // of failed reconnection attempts in a row

// silentAfter: the server writes a comment line every 15 s, so a connection silent this long is
// dead without having said so (a proxy that hung, a laptop that slept, a NAT that forgot it).
const silentAfter = 45 * time.Second

// fatal is an error that another attempt would only repeat (a bad id, no such run, no credentials).
type fatal struct{ error }

// A follower remembers the last seq it printed; that is all it needs to resume.
type follower struct {
	server, runID, token string
	lastSeq              int64
	// No client timeout: the response lasts as long as the run. The server sends a comment
	// line every 15 s, so a proxy in between keeps the connection open; silentAfter without
	// one ends it.
	client *http.Client
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		exit(2, "usage: go run follow.go SERVER_URL RUN_ID [AFTER]")
	}
	f := &follower{server: strings.TrimSuffix(os.Args[1], "/"), runID: os.Args[2],
		token: os.Getenv("STEPSTREAM_TOKEN"), client: &http.Client{}}
	if len(os.Args) == 4 {
		after, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil || after < 0 {
			exit(2, "AFTER: expected a seq of 0 or more, got "+os.Args[3])
		}
		f.lastSeq = after
	}
	var failingSince time.Time
	delay := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		printedBefore := f.lastSeq
		status, err := f.stream()
		if err == nil {
			if status == "success" {
				os.Exit(0)
			}
			os.Exit(1)
		}
		var stop fatal
		if errors.As(err, &stop) || (attempt == 0 && isUnreachable(err)) {
			exit(2, err.Error())
		}
		if f.lastSeq > printedBefore { // it got somewhere: a fresh start for the back-off
			failingSince, delay = time.Time{}, 100*time.Millisecond
		}
		if failingSince.IsZero() {
			failingSince = time.Now()
		} else if time.Since(failingSince) > giveUpAfter {
			exit(2, fmt.Sprintf("gave up after %s (%v); resume with AFTER=%d", giveUpAfter, err, f.lastSeq))
		}
		fmt.Fprintf(os.Stderr, "follow.go: %v; resuming after seq %d\n", err, f.lastSeq)
		time.Sleep(delay)
		if delay *= 2; delay > 2*time.Second {
			delay = 2 * time.Second
		}
	}
}

// stream reads one connection's events, printing those after lastSeq. It returns the run's
// final status at run_complete, or the error that ended the connection.
func (f *follower) stream() (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	silence := time.AfterFunc(silentAfter, cancel) // put back at each line that comes
	defer silence.Stop()
	req, err := http.NewRequestWithContext(ctx, "GET", f.server+"/api/v2/workflows/runs/"+f.runID+"/events", nil)
	if err != nil {
		return "", fatal{err}
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", strconv.FormatInt(f.lastSeq, 10))
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := f.client.Do(req)
	if ctx.Err() != nil {
		return "", fmt.Errorf("nothing heard from the server for %s", silentAfter)
	} else if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNoContent: // the run ended at or before lastSeq
		return f.finalStatus()
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	default:
		var body struct{ Error struct{ Message string } }
		json.NewDecoder(resp.Body).Decode(&body)
		return "", fatal{fmt.Errorf("HTTP %d: %s", resp.StatusCode, body.Error.Message)}
	}

	// The event stream format: "field: value" lines, a blank line ends an event, ":" starts a comment.
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64*1024), 16<<20)
	var id, event string
	var data []string
	for lines.Scan() {
		silence.Reset(silentAfter)
		line := lines.Text()
		if line == "" {
			if status, done := f.dispatch(id, event, strings.Join(data, "\n")); done {
				return status, nil
			}
			id, event, data = "", "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // keep-alive comment
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			event = value
		case "data":
			data = append(data, value)
		}
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("nothing heard from the server for %s", silentAfter)
	} else if err := lines.Err(); err != nil {
		return "", err
	}
	return "", errors.New("the stream ended before run_complete")
}

// dispatch prints one event unless it was printed before; done is true at run_complete.
// caught_up (the end of the history; its id is the stream's position) is a control message,
// not part of the run.
func (f *follower) dispatch(id, event, data string) (status string, done bool) {
	seq, err := strconv.ParseInt(id, 10, 64)
	if event == "caught_up" || data == "" || err != nil || seq <= f.lastSeq {
		return "", false
	}
	fmt.Println(data)
	f.lastSeq = seq
	if event != "run_complete" {
		return "", false
	}
	var envelope struct{ Payload struct{ Status string } }
	if err := json.Unmarshal([]byte(data), &envelope); err != nil {
		exit(2, "run_complete is not JSON: "+data)
	}
	return envelope.Payload.Status, true
}

// finalStatus asks the REST API how the run ended, for a run that had ended before lastSeq.
func (f *follower) finalStatus() (string, error) {
	req, _ := http.NewRequest("GET", f.server+"/api/v2/workflows/runs/"+f.runID, nil)
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var run struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&run); err != nil {
		return "", err
	}
	return run.Status, nil
}

// isUnreachable says whether no connection could be made at all (refused, unknown host).
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr)
}

func exit(code int, message string) {
	fmt.Fprintln(os.Stderr, "follow.go: "+message)
	os.Exit(code)
}
