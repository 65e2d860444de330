//! `rmq-testcert DIR`: writes a self-signed test certificate (`DIR/cert.pem`, for localhost and
//! 127.0.0.1) and its PKCS#8 key (`DIR/key.pem`), for the compat runners' TLS clusters.

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: rmq-testcert DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("rmq-testcert: {}: {e}", dir.display());
        std::process::exit(1);
    }
    let (cert, key) = rmq_tests::write_test_cert(&dir);
    println!("{}\n{}", cert.display(), key.display());
}
