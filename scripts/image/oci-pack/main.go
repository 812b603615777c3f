// oci-pack writes an OCI image archive from layer tarballs and an image config, without a container
// daemon, with go-containerregistry (github.com/google/go-containerregistry).
//
// The archive is an OCI image layout (image-spec v1.1 image-layout.md: oci-layout, index.json,
// blobs/sha256/...) as one tar, plus Docker's manifest.json naming the same blobs, the layout that
// `docker save` writes since Docker 25. So `kind load image-archive` and `k3d image import`
// (containerd's importer: the index and its io.containerd.image.name annotation), `docker load`,
// `skopeo copy oci-archive:` and `crane push`/`crane export` (manifest.json) all read it.
//
// Layers are given uncompressed (GNU tar, made reproducible by the caller) and stored gzip-compressed
// with OCI media types. Timestamps come from -created (default SOURCE_DATE_EPOCH, else 1970), so the
// same inputs give the same digest.
//
//	oci-pack -out glider.tar -ref ghcr.io/glider-im/glider:0.1.0 -layer base.tar -layer app.tar \
//	  -entrypoint '["/usr/local/bin/node"]' -cmd '["dist/apps/standalone/src/main.js"]' -workdir /app \
//	  -user 10001:10001 -port 5222/tcp -env PATH=/usr/local/bin:/usr/bin:/bin -label org.opencontainers.image.version=0.1.0
package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "oci-pack:", err)
		os.Exit(1)
	}
}

func run() error {
	var layers, envs, ports, labels list
	out := flag.String("out", "", "archive to write (required)")
	ref := flag.String("ref", "", "image name with tag, e.g. ghcr.io/glider-im/glider:0.1.0 (required)")
	entrypoint := flag.String("entrypoint", "", "JSON array")
	cmd := flag.String("cmd", "", "JSON array")
	workdir := flag.String("workdir", "", "working directory")
	user := flag.String("user", "", "uid:gid the process runs as")
	created := flag.String("created", "", "RFC 3339 creation time (default SOURCE_DATE_EPOCH, else 1970-01-01)")
	flag.Var(&layers, "layer", "uncompressed layer tarball, bottom first (repeatable)")
	flag.Var(&envs, "env", "KEY=VALUE (repeatable)")
	flag.Var(&ports, "port", "exposed port, e.g. 5222/tcp (repeatable)")
	flag.Var(&labels, "label", "KEY=VALUE (repeatable)")
	flag.Parse()
	if *out == "" || *ref == "" || len(layers) == 0 || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("-out, -ref and at least one -layer are required")
	}
	tag, err := name.NewTag(*ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-ref %q: %w", *ref, err)
	}
	when, err := creationTime(*created)
	if err != nil {
		return err
	}

	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for _, path := range layers {
		l, err := tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
		if err != nil {
			return fmt.Errorf("layer %s: %w", path, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: when}, CreatedBy: "oci-pack -layer " + filepath.Base(path),
		}})
		if err != nil {
			return fmt.Errorf("layer %s: %w", path, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", "amd64", v1.Time{Time: when}
	c := &cf.Config
	if c.Entrypoint, err = jsonArray("-entrypoint", *entrypoint); err != nil {
		return err
	}
	if c.Cmd, err = jsonArray("-cmd", *cmd); err != nil {
		return err
	}
	c.WorkingDir, c.User, c.Env = *workdir, *user, envs
	if len(ports) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range ports {
			if n, proto, ok := strings.Cut(p, "/"); !ok || (proto != "tcp" && proto != "udp") || !validPort(n) {
				return fmt.Errorf("-port %q: want PORT/tcp or PORT/udp", p)
			}
			c.ExposedPorts[p] = struct{}{}
		}
	}
	c.Labels = map[string]string{}
	for _, kv := range labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("-label %q: want KEY=VALUE", kv)
		}
		c.Labels[k] = v
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	return writeArchive(*out, img, tag)
}

func creationTime(s string) (time.Time, error) {
	if s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return t, fmt.Errorf("-created: %w", err)
		}
		return t.UTC(), nil
	}
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", e, err)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Unix(0, 0).UTC(), nil
}

func jsonArray(flagName, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var a []string
	if err := json.Unmarshal([]byte(s), &a); err != nil || len(a) == 0 {
		return nil, fmt.Errorf("%s %q: want a non-empty JSON array of strings", flagName, s)
	}
	return a, nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

// writeArchive lays the image out as an OCI layout in a temporary directory, adds manifest.json and
// tars the directory, entries sorted and dated 1970 so the archive is reproducible.
func writeArchive(out string, img v1.Image, tag name.Tag) error {
	dir, err := os.MkdirTemp(filepath.Dir(out), ".oci-pack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	full := tag.Name()
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.TagStr(), // OCI image-layout: the tag
		"io.containerd.image.name":          full,         // containerd (kind, k3d): the full name
	})); err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	layersOf, err := img.Layers()
	if err != nil {
		return err
	}
	blob := func(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
	entry := struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{Config: blob(cfgName), RepoTags: []string{full}}
	for _, l := range layersOf {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		entry.Layers = append(entry.Layers, blob(d))
	}
	mj, err := json.Marshal([]any{entry})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), mj, 0o644); err != nil {
		return err
	}
	if err := tarDir(dir, out); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s@%s %d bytes\n", out, full, digest, st.Size())
	return nil
}

func tarDir(dir, out string) error {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(f)
	dirs := map[string]bool{}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		for d := filepath.Dir(rel); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		if err := addFile(tw, path, filepath.ToSlash(rel)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func addFile(tw *tar.Writer, path, rel string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Size: st.Size(), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
