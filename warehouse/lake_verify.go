package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// noProvince is the partition of the wards whose code has no province
// code (Hive's default partition, read as NULL).
const noProvince = "__HIVE_DEFAULT_PARTITION__"

// escapeGlob makes a path a DuckDB file pattern matching that path alone:
// DuckDB globs every path it is given ('*', '?', '[…]'), so a lake at
// /srv/lake[1] would read /srv/lake1. A bracket expression of one
// character matches that character literally.
func escapeGlob(path string) string {
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[':
			b.WriteString("[" + string(r) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fileList is a DuckDB list of the files, each matching itself alone.
func fileList(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = "'" + escape(escapeGlob(f)) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// manifestRows is the row count in a partition's fingerprint: "745-…",
// or its chunks' sum ("1:300-… 2:445-…").
func manifestRows(fingerprint string) (int64, bool) {
	fps := []string{fingerprint}
	if chunks := chunkFingerprints(fingerprint); chunks != nil {
		fps = fps[:0]
		for _, fp := range chunks {
			fps = append(fps, fp)
		}
	}
	var total int64
	for _, fp := range fps {
		n, err := strconv.ParseInt(strings.SplitN(fp, "-", 2)[0], 10, 64)
		if err != nil {
			return 0, false
		}
		total += n
	}
	return total, true
}

// lakeFilesOf lists the Parquet files of each fact table of the lake at
// dir, partition by partition, from the folders themselves (never a glob:
// the folder's name may hold glob characters), and checks them against
// the manifest m: every partition the manifest lists is there, nothing
// else is in a table's folder, and each partition's files hold, by their
// footers, the rows the manifest counted. A deleted partition, a copied
// data_1.parquet beside a partition's file, a missing units/ folder would
// otherwise be read as figures. bad makes the one-line refusal.
// With hash, each file's bytes are also checked against the SHA-256 the
// manifest holds (its size is always checked): a file replaced by another
// of the same row count, or damaged inside, is found before any query.
func lakeFilesOf(ctx context.Context, db *sql.DB, dir string, m lakeManifestFile, hash bool, bad func(vi, en string, args ...any) error) (map[string][]string, map[string]int64, error) {
	files := map[string][]string{}   // table -> files
	perPart := map[string][]string{} // table/partition -> files
	redo := "hãy chạy lại wardstat export ở nút đó hoặc chép lại cả kho"
	redoEn := "run wardstat export again on that node or copy the whole lake again"
	for _, t := range LakeFacts {
		parts, listed := m.Tables[t]
		tableDir := filepath.Join(dir, t)
		if !listed {
			continue // an older lake without this table: read as empty
		}
		entries, err := os.ReadDir(tableDir)
		if err != nil {
			return nil, nil, bad("thiếu thư mục %s/ (có trong _manifest.json); "+redo, "folder %s/ is missing (_manifest.json lists it); "+redoEn, t)
		}
		extra := func(rel string) error {
			return bad("%s không có trong _manifest.json (một tệp hay phân vùng thừa sẽ bị đếm); "+redo,
				"%s is not in _manifest.json (an extra file or partition would be counted); "+redoEn, t+"/"+rel)
		}
		if unpartitioned(t) {
			for _, e := range entries {
				if e.Name() != "data.parquet" || !e.Type().IsRegular() {
					return nil, nil, extra(e.Name())
				}
				perPart[t+"/"] = []string{filepath.Join(tableDir, e.Name())}
			}
		} else {
			for _, p := range entries {
				if !p.IsDir() || !strings.HasPrefix(p.Name(), "province=") {
					return nil, nil, extra(p.Name())
				}
				months, err := os.ReadDir(filepath.Join(tableDir, p.Name()))
				if err != nil {
					return nil, nil, bad("%s/%s không đọc được (%v); "+redo, "%s/%s is unreadable (%v); "+redoEn, t, p.Name(), err)
				}
				for _, mo := range months {
					part := p.Name() + "/" + mo.Name()
					if _, ok := parts[part]; !ok || !mo.IsDir() {
						return nil, nil, extra(part)
					}
					fs, err := os.ReadDir(filepath.Join(tableDir, p.Name(), mo.Name()))
					if err != nil {
						return nil, nil, bad("%s/%s không đọc được (%v); "+redo, "%s/%s is unreadable (%v); "+redoEn, t, part, err)
					}
					for _, f := range fs {
						if !f.Type().IsRegular() || !strings.HasSuffix(f.Name(), ".parquet") {
							return nil, nil, extra(part + "/" + f.Name())
						}
						perPart[t+"/"+part] = append(perPart[t+"/"+part], filepath.Join(tableDir, p.Name(), mo.Name(), f.Name()))
					}
				}
			}
		}
		keys := make([]string, 0, len(parts))
		for part := range parts {
			keys = append(keys, part)
		}
		sort.Strings(keys)
		for _, part := range keys {
			fs := perPart[t+"/"+part]
			if len(fs) == 0 {
				return nil, nil, bad("thiếu phân vùng %s (có trong _manifest.json); "+redo, "partition %s is missing (_manifest.json lists it); "+redoEn, strings.TrimSuffix(t+"/"+part, "/"))
			}
			files[t] = append(files[t], fs...)
		}
	}
	if err := checkFileFingerprints(dir, m.Files, files, hash, bad); err != nil {
		return nil, nil, err
	}
	rows, err := footerRows(ctx, db, files, dir, bad)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int64{} // table -> rows
	for _, t := range LakeFacts {
		for part, fp := range m.Tables[t] {
			want, ok := manifestRows(fp)
			var got int64
			for _, f := range perPart[t+"/"+part] {
				got += rows[f]
			}
			counts[t] += got
			if ok && got != want {
				return nil, nil, bad("phân vùng %s có %d dòng, _manifest.json ghi %d (tệp thừa, thiếu hay bị thay); "+redo,
					"partition %s holds %d rows, _manifest.json says %d (a file extra, missing or replaced); "+redoEn, strings.TrimSuffix(t+"/"+part, "/"), got, want)
			}
		}
	}
	return files, counts, nil
}

// footerRows reads the row count of every file from its Parquet footer
// (parquet_file_metadata: no data page is read), in one query; when it
// fails, file by file, to name the unreadable one.
func footerRows(ctx context.Context, db *sql.DB, files map[string][]string, dir string, bad func(vi, en string, args ...any) error) (map[string]int64, error) {
	var all []string
	for _, t := range LakeFacts {
		all = append(all, files[t]...)
	}
	out := map[string]int64{}
	if len(all) == 0 {
		return out, nil
	}
	one := func(list []string) error {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT file_name, coalesce(sum(num_rows), 0) FROM parquet_file_metadata(%s) GROUP BY file_name`, fileList(list)))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f string
			var n int64
			if err := rows.Scan(&f, &n); err != nil {
				return err
			}
			out[f] = n
		}
		return rows.Err()
	}
	if one(all) == nil && len(out) == len(all) {
		return out, nil
	}
	for _, f := range all {
		if err := one([]string{f}); err != nil {
			rel, _ := filepath.Rel(dir, f)
			return nil, bad("tệp %s không đọc được (%s); hãy chạy lại wardstat export ở nút đó hoặc chép lại cả kho",
				"file %s is unreadable (%s); run wardstat export again on that node or copy the whole lake again", rel, strings.TrimSpace(firstLine(err.Error())))
		}
		if _, ok := out[f]; !ok {
			rel, _ := filepath.Rel(dir, f)
			return nil, bad("tệp %s không đọc được; hãy chạy lại wardstat export ở nút đó hoặc chép lại cả kho",
				"file %s is unreadable; run wardstat export again on that node or copy the whole lake again", rel)
		}
	}
	return out, nil
}

// checkFileFingerprints checks each file of the fact tables against the
// fingerprint the manifest holds (lake_files.go): its size, and with hash
// its SHA-256. A lake written before files were fingerprinted (no
// "files" in its manifest) is checked by row counts alone.
func checkFileFingerprints(dir string, fps lakeFiles, files map[string][]string, hash bool, bad func(vi, en string, args ...any) error) error {
	if fps == nil {
		return nil
	}
	redo := "hãy chạy lại wardstat export ở nút đó (tệp hỏng ở đó được ghi lại) rồi chép lại cả kho"
	redoEn := "run wardstat export again on that node (it rewrites a damaged file there) and copy the whole lake again"
	for _, t := range LakeFacts {
		for _, f := range files[t] {
			rel, _ := filepath.Rel(dir, f)
			rel = filepath.ToSlash(rel)
			fp, ok := fps[rel]
			if !ok {
				return bad("tệp %s không có dấu vân tay trong _manifest.json (một tệp thừa hay bị thay); "+redo,
					"file %s has no fingerprint in _manifest.json (an extra or replaced file); "+redoEn, rel)
			}
			st, err := os.Stat(f)
			if err != nil {
				return bad("tệp %s không đọc được (%v); "+redo, "file %s is unreadable (%v); "+redoEn, rel, err)
			}
			if st.Size() != fp.Size {
				return bad("tệp %s đã bị thay hoặc hỏng (%d byte, _manifest.json ghi %d); "+redo,
					"file %s was replaced or damaged (%d bytes, _manifest.json says %d); "+redoEn, rel, st.Size(), fp.Size)
			}
			if !hash {
				continue
			}
			h, err := hashFile(f)
			if err != nil {
				return bad("tệp %s không đọc được (%v); "+redo, "file %s is unreadable (%v); "+redoEn, rel, err)
			}
			if h != fp.SHA256 {
				return bad("tệp %s đã bị thay hoặc hỏng (nội dung khác: SHA-256 %.12s…, _manifest.json ghi %.12s…); "+redo,
					"file %s was replaced or damaged (its content differs: SHA-256 %.12s…, _manifest.json says %.12s…); "+redoEn, rel, h, fp.SHA256)
			}
		}
	}
	return nil
}
