// Package charttest checks charts in tests: an SVG must parse, a PNG must decode at
// chart.WidthPx, and with RAPPORT_CHART_DIR set both are written there to be looked at.
package charttest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/pkg/chart"
)

// Render renders ch as SVG and PNG, checks both (Check) and answers the SVG's texts.
func Render(t *testing.T, name string, ch chart.Chart) string {
	t.Helper()
	var svg, img bytes.Buffer
	if err := chart.Render(&svg, ch, chart.SVG); err != nil {
		t.Fatalf("%s as SVG: %v", name, err)
	}
	if err := chart.Render(&img, ch, chart.PNG); err != nil {
		t.Fatalf("%s as PNG: %v", name, err)
	}
	return Check(t, name, svg.Bytes(), img.Bytes())
}

// Check checks a chart's SVG and PNG, writes them to RAPPORT_CHART_DIR when it is set (as
// name.svg and name.png), and answers the SVG's texts, one a line.
func Check(t *testing.T, name string, svg, img []byte) string {
	t.Helper()
	texts, err := Texts(svg)
	if err != nil {
		t.Errorf("%s: the SVG does not parse: %v", name, err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || cfg.Width != chart.WidthPx {
		t.Errorf("%s: the PNG: %v, %d px wide", name, err, cfg.Width)
	}
	if dir := os.Getenv("RAPPORT_CHART_DIR"); dir != "" {
		for ext, b := range map[string][]byte{".svg": svg, ".png": img} {
			if err := os.WriteFile(filepath.Join(dir, name+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return texts
}

// Contains fails the test for every want that a chart's texts lack.
func Contains(t *testing.T, name, texts string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(texts, want) {
			t.Errorf("the %s chart lacks %q; it says:\n%s", name, want, texts)
		}
	}
}

// Texts parses an SVG document and answers the texts it shows, one a line.
func Texts(doc []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var texts []string
	depth, inText, root := 0, false, false
	for {
		tok, err := d.Token()
		if err == io.EOF && depth == 0 && root {
			return strings.Join(texts, "\n"), nil
		}
		if err != nil {
			return "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 && tok.Name.Local != "svg" {
				return "", errors.New("the root element is " + tok.Name.Local + ", not svg")
			}
			depth, root = depth+1, true
			inText = tok.Name.Local == "text"
		case xml.EndElement:
			depth--
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
}
