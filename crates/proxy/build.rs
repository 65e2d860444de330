//! Compiles the vendored apache.rocketmq.v2 protos with the protoc shipped by protoc-bin-vendored,
//! so a fresh machine needs no protoc of its own.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);
    let include = protoc_bin_vendored::include_path()?;
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure().build_client(true).build_server(true).compile_protos(
        &[std::path::PathBuf::from("proto/apache/rocketmq/v2/service.proto")],
        &[std::path::PathBuf::from("proto"), include],
    )?;
    Ok(())
}
