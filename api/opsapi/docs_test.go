package opsapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/api/apitest"
)

// requireBrowser names the variable that makes a missing browser fail the test (CI sets it).
const requireBrowser = "RAPPORT_TEST_REQUIRE_BROWSER"

// browserPath finds a Chromium-based browser, or skips the test (fails it under CI).
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireBrowser) != "" {
		t.Fatalf("no Chromium found on PATH, but %s is set (apt-get install chromium)", requireBrowser)
	}
	t.Skipf("no Chromium found on PATH (apt-get install chromium); set %s to make this a failure", requireBrowser)
	return ""
}

// exchange is one request the page made and how it ended.
type exchange struct {
	url    string
	status int64  // of the response, 0 until one arrives
	failed string // the network error, if the request failed
}

func (x exchange) String() string {
	if x.failed != "" {
		return fmt.Sprintf("%s: %s", x.url, x.failed)
	}
	return fmt.Sprintf("%s: %d", x.url, x.status)
}

// TestDocsPageInBrowser opens /docs in headless Chromium, against the real router on a real port,
// as a frontend developer would: the page must render the OpenAPI 3 document (the API's title,
// its operations and the link to the problem types; no load error, no script exception), and
// every request it makes must stay on this server and answer 200, with /openapi.json the only API
// document it loads.
func TestDocsPageInBrowser(t *testing.T) {
	browser := browserPath(t)
	env := apitest.New(t)
	srv := httptest.NewServer(env.Echo)
	defer srv.Close()

	// The machine may have no internet: without these flags Chromium waits on lookups of Google's
	// services. chromedp gives it a fresh, empty --user-data-dir and removes it afterwards.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	var mu sync.Mutex
	var exchanges []*exchange
	byID := map[network.RequestID]*exchange{}
	var exceptions []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if prev := byID[ev.RequestID]; prev != nil && ev.RedirectResponse != nil {
				prev.status = ev.RedirectResponse.Status // the same id goes on to the redirect's target
			}
			x := &exchange{url: ev.Request.URL}
			exchanges = append(exchanges, x)
			byID[ev.RequestID] = x
		case *network.EventResponseReceived:
			if x := byID[ev.RequestID]; x != nil {
				x.status = ev.Response.Status
			}
		case *network.EventLoadingFailed:
			if x := byID[ev.RequestID]; x != nil {
				x.failed = ev.ErrorText
			}
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, ev.ExceptionDetails.Text+" "+ev.ExceptionDetails.Exception.Description)
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/docs")); err != nil {
		t.Fatalf("load /docs: %v", err)
	}
	// Swagger UI renders after it has fetched the document: wait for an operation or the error.
	waitCtx, cancelWait := context.WithTimeout(ctx, 90*time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(waitCtx, chromedp.Poll[bool](
		`document.querySelector(".opblock") !== null || document.body.innerText.includes("Failed to load")`,
		chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		t.Fatalf("the page rendered neither operations nor an error: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	for _, want := range []string{"Rapport API", "List customers", "Create a customer"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered page does not show %q", want)
		}
	}
	for _, bad := range []string{"Failed to load API definition", "Fetch error", "Parser error"} {
		if strings.Contains(text, bad) {
			t.Errorf("the rendered page shows %q:\n%.2000s", bad, text)
		}
	}
	// The description links the pages that explain the problem types.
	if href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".info a")].map(a => a.href).find(h => h.endsWith("/problems/")) ?? ""`)); err != nil || href != srv.URL+"/problems/" {
		t.Errorf("the description links the problem types at %q, want %s/problems/ (%v)", href, srv.URL, err)
	}
	// Swagger UI lists the problems it found in the document (resolver, schema) in this box.
	if errs, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".errors-wrapper")?.innerText ?? ""`)); err != nil || errs != "" {
		t.Errorf("the page shows errors: %q (%v)", errs, err)
	}

	// Requests still under way (favicons, say) get a few seconds to end.
	pending := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var p []string
		for _, x := range exchanges {
			if x.status == 0 && x.failed == "" {
				p = append(p, x.url)
			}
		}
		return p
	}
	for deadline := time.Now().Add(5 * time.Second); len(pending()) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Errorf("the page threw: %q", exceptions)
	}
	var paths []string
	for _, x := range exchanges {
		u, err := url.Parse(x.url)
		if err == nil && u.Scheme == "data" {
			continue // an inline image of the stylesheet: no request leaves the browser
		}
		if err != nil || u.Scheme+"://"+u.Host != srv.URL {
			t.Errorf("the page requested %s, which is not on this server", x.url)
			continue
		}
		paths = append(paths, u.Path)
		if x.status != 200 || x.failed != "" {
			t.Errorf("the page's request %s did not answer 200", x)
		}
		if u.Path != "/docs" && u.Path != "/openapi.json" && !strings.HasPrefix(u.Path, "/docs/") {
			t.Errorf("the page requested %s: only the page, its assets and /openapi.json are expected", u.Path)
		}
	}
	if !slices.Contains(paths, "/openapi.json") {
		t.Errorf("the page never loaded /openapi.json; it requested %q", paths)
	}
	t.Logf("the page requested %q", paths)
}
