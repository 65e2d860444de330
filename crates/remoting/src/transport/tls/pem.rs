//! PEM files: certificate chains and private keys (PKCS#8, PKCS#1 RSA, SEC1 EC).

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

fn file_error(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File { what, path: path.display().to_string(), reason: reason.to_string() }
}

/// Every certificate of a PEM file, in order; an error when there is none.
pub(super) fn certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| file_error(what, path, describe(&e)))?;
    let certs = iter.collect::<Result<Vec<_>, _>>().map_err(|e| file_error(what, path, describe(&e)))?;
    if certs.is_empty() {
        return Err(file_error(what, path, "no CERTIFICATE block in the file"));
    }
    Ok(certs)
}

/// The first private key of a PEM file.
pub(super) fn private_key(path: &Path, what: &'static str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(what, path, describe(&e)))
}

fn describe(e: &rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::Io(io) => io.to_string(),
        rustls_pki_types::pem::Error::NoItemsFound => {
            "no PEM block of the expected kind (a PKCS#8, RSA or EC private key; encrypted keys are not supported)"
                .to_owned()
        }
        other => format!("{other:?}"),
    }
}
