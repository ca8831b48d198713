//! Embeds the web client (`web/app`) in the binary: each file with its gzip form, compressed
//! once here so that serving it costs nothing per request.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let root = Path::new("web/app");
    println!("cargo:rerun-if-changed=web/app");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let mut files = Vec::new();
    collect(root, root, &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for (i, rel) in files.iter().enumerate() {
        let source = fs::canonicalize(root.join(rel)).expect("web asset");
        let bytes = fs::read(&source).expect("web asset");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).expect("gzip");
        let gz_path = out.join(format!("web_asset_{i}.gz"));
        fs::write(&gz_path, gz.finish().expect("gzip")).expect("write gzip");
        table += &format!(
            "    ({rel:?}, include_bytes!({source:?}) as &[u8], include_bytes!({gz_path:?}) as &[u8]),\n"
        );
    }
    table += "]\n";
    fs::write(out.join("web_assets.rs"), table).expect("write asset table");
}

/// Every file under `dir`, as a path relative to `root` with `/` separators.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<_> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
}
