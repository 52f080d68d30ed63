// Command interop checks a logseal log with Go's own code, golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, and nothing of logseal's: everything a log hands an auditor
// (signed checkpoints, a C2SP tlog-tiles export, inclusion and consistency proofs) must open,
// hash and verify there byte for byte.
//
// It reads one JSON request on stdin:
//
//	{"vkey": "<note verifier key>", "origin": "<expected origin, optional>",
//	 "tilesDir": "<dir from logseal export --tiles>",
//	 "checkpoints": ["<signed note>", ...],
//	 "inclusion":   [<logseal prove inclusion I --json>, ...],
//	 "consistency": [<logseal prove consistency FROM TO --json>, ...]}
//
// and prints {"ok", "passed", "failed", "entries", "checks": [{"name", "ok", "detail"}]}.
// It exits 0 when every check passed, 1 when one failed, 2 on a request it cannot read.
//
// Build it offline in GOPATH mode against Debian's golang-golang-x-mod-dev (Go 1.19+):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o interop ./test/interop/go
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the C2SP tlog-tiles height: 2^8 = 256 hashes or entries per tile.
const tileHeight = 8

type request struct {
	Vkey        string             `json:"vkey"`
	Origin      string             `json:"origin"`
	TilesDir    string             `json:"tilesDir"`
	Checkpoints []string           `json:"checkpoints"`
	Inclusion   []inclusionProof   `json:"inclusion"`
	Consistency []consistencyProof `json:"consistency"`
}

type inclusionProof struct {
	Index      int64    `json:"index"`
	Size       int64    `json:"size"`
	LeafHash   string   `json:"leafHash"`
	Proof      []string `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

type consistencyProof struct {
	From       int64    `json:"from"`
	To         int64    `json:"to"`
	FromRoot   string   `json:"fromRoot"`
	ToRoot     string   `json:"toRoot"`
	Proof      []string `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

type result struct {
	OK      bool    `json:"ok"`
	Passed  int     `json:"passed"`
	Failed  int     `json:"failed"`
	Entries int     `json:"entries"`
	Checks  []check `json:"checks"`
}

// checker runs the checks against one opened key and one tiles directory.
type checker struct {
	verifiers note.Verifiers
	origin    string
	dir       string
	records   []tlog.Hash     // tlog.RecordHash of every exported entry, in order
	stored    []tlog.Hash     // the tree's stored hashes (tlog.StoredHashIndex order), in memory
	tiles     tlog.HashReader // tlog.TileHashReader over the exported hash tiles
	res       result
}

func (c *checker) record(name string, err error) {
	if err != nil {
		c.res.Checks = append(c.res.Checks, check{Name: name, OK: false, Detail: err.Error()})
		c.res.Failed++
		return
	}
	c.res.Checks = append(c.res.Checks, check{Name: name, OK: true})
	c.res.Passed++
}

// openCheckpoint opens a signed note with the pinned key and parses its C2SP tlog-checkpoint
// body: origin, tree size in decimal, base64 root hash, then optional extension lines.
func (c *checker) openCheckpoint(msg string) (tlog.Tree, error) {
	n, err := note.Open([]byte(msg), c.verifiers)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n") // n.Text ends in "\n"
	if len(lines) < 4 {
		return tlog.Tree{}, fmt.Errorf("checkpoint body has %d lines, want at least 3", len(lines)-1)
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin == "" || (c.origin != "" && origin != c.origin) {
		return tlog.Tree{}, fmt.Errorf("origin %q, want %q", origin, c.origin)
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeText {
		return tlog.Tree{}, fmt.Errorf("malformed tree size %q", sizeText)
	}
	root, err := decodeHash(rootText)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("root: %v", err)
	}
	return tlog.Tree{N: size, Hash: root}, nil
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("malformed hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func decodeHashes(list []string) ([]tlog.Hash, error) {
	hs := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof[%d]: %v", i, err)
		}
		hs[i] = h
	}
	return hs, nil
}

// tilePath names tile t in the C2SP layout, derived from Go's own sumdb tile path
// "tile/8/<L>/<N>[.p/<W>]" (and "tile/8/data/<N>" for entries): C2SP drops the height and
// calls data tiles "entries"; <N> is encoded the same way (x001/234).
func tilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	if t.L == -1 {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// tilesAt lists the tiles of level `level` (-1 for entry bundles) in the tree of size n:
// full ones, then the partial one if any.
func tilesAt(level int, n int64) []tlog.Tile {
	count := n
	if level > 0 {
		count = n >> (uint(level) * tileHeight)
	}
	var tiles []tlog.Tile
	for i := int64(0); i<<tileHeight < count; i++ {
		w := count - i<<tileHeight
		if w > 1<<tileHeight {
			w = 1 << tileHeight
		}
		tiles = append(tiles, tlog.Tile{H: tileHeight, L: level, N: i, W: int(w)})
	}
	return tiles
}

// dirTiles serves hash tiles from the export directory to tlog.TileHashReader.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return tileHeight }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(tilePath(t))))
		if err != nil {
			return nil, err
		}
		if len(b) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", tilePath(t), len(b), t.W*tlog.HashSize)
		}
		data[i] = b
	}
	return data, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// memory reads stored hashes from c.stored.
func (c *checker) memory() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(c.stored)) {
				return nil, fmt.Errorf("stored hash %d not computed", x)
			}
			out[i] = c.stored[x]
		}
		return out, nil
	})
}

// readEntries reads every entry bundle of a tree of size n, hashes each entry with
// tlog.RecordHash and stores the tree's hashes with tlog.StoredHashesForRecordHash.
func (c *checker) readEntries(n int64) error {
	for _, t := range tilesAt(-1, n) {
		path := tilePath(t)
		data, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(path)))
		if err != nil {
			return err
		}
		for w := 0; w < t.W; w++ {
			if len(data) < 2 || len(data) < 2+int(binary.BigEndian.Uint16(data)) {
				return fmt.Errorf("%s: truncated at entry %d", path, w)
			}
			size := int(binary.BigEndian.Uint16(data))
			entry := data[2 : 2+size]
			data = data[2+size:]
			h := tlog.RecordHash(entry)
			hashes, err := tlog.StoredHashesForRecordHash(int64(len(c.records)), h, c.memory())
			if err != nil {
				return err
			}
			c.records = append(c.records, h)
			c.stored = append(c.stored, hashes...)
		}
		if len(data) != 0 {
			return fmt.Errorf("%s: %d bytes after %d entries", path, len(data), t.W)
		}
	}
	return nil
}

// checkTiles compares every hash tile of the export with the hashes computed from the entries:
// level 0 with the record hashes, higher levels with tlog.ReadTileData.
func (c *checker) checkTiles(n int64) {
	for level := 0; n>>(uint(level)*tileHeight) > 0; level++ {
		for _, t := range tilesAt(level, n) {
			path := tilePath(t)
			c.record("tile "+path+" = hashes computed from the entries", func() error {
				got, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(path)))
				if err != nil {
					return err
				}
				var want []byte
				if level == 0 {
					for _, h := range c.records[t.N<<tileHeight : t.N<<tileHeight+int64(t.W)] {
						want = append(want, h[:]...)
					}
				} else if want, err = tlog.ReadTileData(t, c.memory()); err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					return fmt.Errorf("%d bytes differ from the %d computed", len(got), len(want))
				}
				return nil
			}())
		}
	}
}

// checkCheckpoint opens one signed checkpoint and compares its root with tlog.TreeHash of
// the exported entries.
func (c *checker) checkCheckpoint(source, msg string) {
	tree, err := c.openCheckpoint(msg)
	name := source
	if err == nil {
		name = fmt.Sprintf("%s (size %d)", source, tree.N)
	}
	c.record(name+": note.Open with the vkey, body parses", err)
	if err != nil {
		return
	}
	c.record(name+": root = tlog.TreeHash of the entries", func() error {
		if tree.N > int64(len(c.records)) {
			return fmt.Errorf("size %d, but %d entries were exported", tree.N, len(c.records))
		}
		th, err := tlog.TreeHash(tree.N, c.memory())
		if err != nil {
			return err
		}
		if th != tree.Hash {
			return fmt.Errorf("tlog.TreeHash(%d) = %v, checkpoint root %v", tree.N, th, tree.Hash)
		}
		return nil
	}())
}

func equalProofs(name string, got, want []tlog.Hash) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d hashes, %s gives %d", len(got), name, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("hash %d is %v, %s gives %v", i, got[i], name, want[i])
		}
	}
	return nil
}

func (c *checker) checkInclusion(p inclusionProof) {
	name := fmt.Sprintf("inclusion %d in %d", p.Index, p.Size)
	tree, err := c.openCheckpoint(p.Checkpoint)
	if err == nil && tree.N != p.Size {
		err = fmt.Errorf("checkpoint size %d, proof size %d", tree.N, p.Size)
	}
	proof, err2 := decodeHashes(p.Proof)
	leaf, err3 := decodeHash(p.LeafHash)
	if err == nil {
		err = err2
	}
	if err == nil {
		err = err3
	}
	if err != nil {
		c.record(name+": proof and checkpoint parse", err)
		return
	}
	c.record(name+": tlog.CheckRecord", tlog.CheckRecord(proof, tree.N, tree.Hash, p.Index, leaf))
	c.record(name+": tlog.CheckRecord rejects another index", func() error {
		other := p.Index + 1
		if other >= tree.N {
			other = p.Index - 1
		}
		if other < 0 {
			return errors.New("a tree of size 1 has no other index")
		}
		if tlog.CheckRecord(proof, tree.N, tree.Hash, other, leaf) == nil {
			return fmt.Errorf("the proof also verifies for index %d", other)
		}
		return nil
	}())
	c.record(name+": leafHash = tlog.RecordHash of the exported entry", func() error {
		if p.Index < 0 || p.Index >= int64(len(c.records)) {
			return fmt.Errorf("entry %d was not exported", p.Index)
		}
		if c.records[p.Index] != leaf {
			return fmt.Errorf("leafHash %v, entry hashes to %v", leaf, c.records[p.Index])
		}
		return nil
	}())
	c.record(name+": proof = tlog.ProveRecord over the exported tiles", func() error {
		want, err := tlog.ProveRecord(tree.N, p.Index, c.tiles)
		if err != nil {
			return err
		}
		return equalProofs("tlog.ProveRecord", proof, want)
	}())
}

func (c *checker) checkConsistency(p consistencyProof) {
	name := fmt.Sprintf("consistency %d to %d", p.From, p.To)
	tree, err := c.openCheckpoint(p.Checkpoint)
	if err == nil && (tree.N != p.To || base64.StdEncoding.EncodeToString(tree.Hash[:]) != p.ToRoot) {
		err = fmt.Errorf("checkpoint (%d, %v) is not to/toRoot (%d, %s)", tree.N, tree.Hash, p.To, p.ToRoot)
	}
	proof, err2 := decodeHashes(p.Proof)
	fromRoot, err3 := decodeHash(p.FromRoot)
	if err == nil {
		err = err2
	}
	if err == nil {
		err = err3
	}
	if err != nil {
		c.record(name+": proof and checkpoint parse", err)
		return
	}
	c.record(name+": tlog.CheckTree", tlog.CheckTree(proof, tree.N, tree.Hash, p.From, fromRoot))
	c.record(name+": tlog.CheckTree rejects another fromRoot", func() error {
		bad := fromRoot
		bad[0] ^= 1
		if tlog.CheckTree(proof, tree.N, tree.Hash, p.From, bad) == nil {
			return errors.New("the proof also verifies for a changed fromRoot")
		}
		return nil
	}())
	c.record(name+": fromRoot = tlog.TreeHash of the entries", func() error {
		if p.From < 0 || p.From > int64(len(c.records)) {
			return fmt.Errorf("size %d, but %d entries were exported", p.From, len(c.records))
		}
		th, err := tlog.TreeHash(p.From, c.memory())
		if err != nil {
			return err
		}
		if th != fromRoot {
			return fmt.Errorf("fromRoot %v, tlog.TreeHash gives %v", fromRoot, th)
		}
		return nil
	}())
	c.record(name+": proof = tlog.ProveTree over the exported tiles", func() error {
		want, err := tlog.ProveTree(tree.N, p.From, c.tiles)
		if err != nil {
			return err
		}
		return equalProofs("tlog.ProveTree", proof, want)
	}())
}

func run(req request) result {
	c := &checker{origin: req.Origin, dir: req.TilesDir}
	v, err := note.NewVerifier(req.Vkey)
	if err != nil {
		c.record("note.NewVerifier(vkey)", err)
		return c.res
	}
	c.verifiers = note.VerifierList(v)

	msg, err := os.ReadFile(filepath.Join(c.dir, "checkpoint"))
	if err != nil {
		c.record("read the exported checkpoint", err)
		return c.res
	}
	tree, err := c.openCheckpoint(string(msg))
	if err != nil {
		c.record("exported checkpoint: note.Open with the vkey, body parses", err)
		return c.res
	}
	c.tiles = tlog.TileHashReader(tree, dirTiles{c.dir})
	c.record("exported tiles: tlog.TileHashReader authenticates them against the checkpoint",
		func() error {
			th, err := tlog.TreeHash(tree.N, c.tiles)
			if err == nil && th != tree.Hash {
				err = fmt.Errorf("tlog.TreeHash over the tiles = %v, root %v", th, tree.Hash)
			}
			return err
		}())
	err = c.readEntries(tree.N)
	c.record(fmt.Sprintf("exported entries: read %d entry bundles, hash %d entries", len(tilesAt(-1, tree.N)), tree.N), err)
	c.res.Entries = len(c.records)
	if err != nil {
		return c.res
	}
	c.checkTiles(tree.N)

	seen := map[string]bool{string(msg): true}
	c.checkCheckpoint("exported checkpoint", string(msg))
	for i, m := range req.Checkpoints {
		if !seen[m] {
			seen[m] = true
			c.checkCheckpoint(fmt.Sprintf("checkpoints[%d]", i), m)
		}
	}
	for _, p := range req.Inclusion {
		if !seen[p.Checkpoint] {
			seen[p.Checkpoint] = true
			c.checkCheckpoint(fmt.Sprintf("checkpoint of inclusion proof %d in %d", p.Index, p.Size), p.Checkpoint)
		}
		c.checkInclusion(p)
	}
	for _, p := range req.Consistency {
		if !seen[p.Checkpoint] {
			seen[p.Checkpoint] = true
			c.checkCheckpoint(fmt.Sprintf("checkpoint of consistency proof %d to %d", p.From, p.To), p.Checkpoint)
		}
		c.checkConsistency(p)
	}
	return c.res
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "interop: cannot read the request on stdin: %v\n", err)
		os.Exit(2)
	}
	res := run(req)
	res.OK = res.Failed == 0 && res.Passed > 0
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(out))
	if !res.OK {
		os.Exit(1)
	}
}
