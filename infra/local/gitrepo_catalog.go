package local

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tfpilot/tfpilot/registry"
)

// Catalog returns the module catalogue of the base branch: modules/ as it is
// at the base commit, whatever the working tree holds. It is cached per base
// commit. Modules that do not load are left out and described in the
// catalogue's Diagnostics; only a catalogue with no module at all is an error.
func (g *GitRepo) Catalog(ctx context.Context, project string) (*registry.Catalog, error) {
	tip, err := g.BaseSHA(ctx)
	if err != nil {
		return nil, err
	}
	g.catMu.Lock()
	defer g.catMu.Unlock()
	if g.cat != nil && g.catSHA == tip {
		return g.cat, nil
	}
	tmp, err := os.MkdirTemp("", "tfpilot-catalog-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := g.Export(ctx, tip, tmp, "modules"); err != nil {
		return nil, fmt.Errorf("catalogue at %.12s: %w", tip, err)
	}
	cat, err := registry.Load(os.DirFS(filepath.Join(tmp, "modules")))
	if cat == nil || len(cat.Modules) == 0 {
		if err == nil {
			err = errors.New("no modules")
		}
		return nil, fmt.Errorf("catalogue at %.12s: %w", tip, err)
	}
	g.cat, g.catSHA = cat, tip
	return cat, nil
}

// untar writes the regular files and folders of a tar stream under dst.
func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := absJoin(dst, h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
