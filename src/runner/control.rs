//! The run's control socket: how an operator reaches a running engine (`blotter halt`,
//! `blotter resume`, `blotter reconcile --now`). A Unix socket in the journal's folder,
//! `DIR/control.sock`; one JSON line in ([`ControlRequest`]), one JSON line out
//! ([`ControlReply`]).
//!
//! The socket only carries requests: the simulation loop takes them between two inputs,
//! journals each as a `LiveOperatorCommand` at the engine's current time, and answers once its
//! decision is durable (journal first: nothing is acknowledged before it is durable). A
//! request the run does not take (it ended, or is still re-deciding the journal it resumes)
//! is never half done: the caller is told so and nothing was journaled.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::{free_text, identifier};
use crate::event::LiveOperatorCommand;

/// The socket's file name inside the journal folder.
pub const SOCKET: &str = "control.sock";
/// Longest request line accepted (operator name and reason included).
const MAX_REQUEST_BYTES: u64 = 4096;
/// Requests queued for the loop at most; more are refused as busy.
const QUEUE: usize = 16;
/// How long the server waits for a connected client to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// An operator's request to a running engine: the very command the run journals.
pub type ControlRequest = LiveOperatorCommand;

/// Why `request` cannot be journaled, if it cannot.
fn problem(request: &ControlRequest) -> Option<String> {
    identifier("operator", &request.operator).and_then(|()| free_text("reason", &request.reason)).err()
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlReply {
    /// Journaled and decided; every record of the decision is durable.
    Done(Intervention),
    /// Not journaled, and why.
    Refused(String),
}

/// What a request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervention {
    /// The seq of the journaled `LiveOperatorCommand`.
    pub seq: u64,
    /// The last seq of its decision.
    pub last_seq: u64,
    /// The engine time it was stamped with.
    pub ts_ns: i64,
    /// Why the engine was halted before it (`None`: it was not).
    pub halted_before: Option<String>,
    /// Why the engine is halted after it (`None`: it is not).
    pub halted_after: Option<String>,
}

/// A request on its way to the loop, with where its answer goes.
pub struct ControlCall {
    pub request: ControlRequest,
    pub reply: oneshot::Sender<ControlReply>,
}

/// A bound control socket; the file is removed when it is dropped.
pub struct ControlSocket {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlSocket {
    /// Binds `dir/control.sock` on the current tokio runtime and serves it, one client at a
    /// time. A socket file already there is a leftover of a run that was killed (the caller
    /// holds the journal's single-writer lock, so no other run serves it): it is replaced.
    pub fn bind(dir: &Path) -> std::io::Result<(ControlSocket, mpsc::Receiver<ControlCall>)> {
        let path = dir.join(SOCKET);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let listener = UnixListener::bind(&path)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(serve(listener, tx));
        Ok((ControlSocket { path, task }, rx))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(listener: UnixListener, calls: mpsc::Sender<ControlCall>) {
    while let Ok((stream, _)) = listener.accept().await {
        let (read, mut write) = stream.into_split();
        let reply = match tokio::time::timeout(READ_TIMEOUT, read_request(read)).await {
            Ok(Ok(request)) => forward(&calls, request).await,
            Ok(Err(problem)) => ControlReply::Refused(problem),
            Err(_) => ControlReply::Refused(format!("no request within {READ_TIMEOUT:?}")),
        };
        let mut line = serde_json::to_vec(&reply).unwrap_or_default();
        line.push(b'\n');
        // A client that went away misses its answer; the request stands (it is journaled).
        let _ = write.write_all(&line).await;
    }
}

async fn read_request(read: tokio::net::unix::OwnedReadHalf) -> Result<ControlRequest, String> {
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST_BYTES));
    reader.read_line(&mut line).await.map_err(|e| format!("cannot read the request: {e}"))?;
    if !line.ends_with('\n') {
        return Err(format!("a request is one JSON line of at most {MAX_REQUEST_BYTES} bytes"));
    }
    let request: ControlRequest = serde_json::from_str(&line).map_err(|e| format!("bad request: {e}"))?;
    match problem(&request) {
        Some(problem) => Err(format!("bad request: {problem}")),
        None => Ok(request),
    }
}

async fn forward(calls: &mpsc::Sender<ControlCall>, request: ControlRequest) -> ControlReply {
    let (reply, answer) = oneshot::channel();
    match calls.try_send(ControlCall { request, reply }) {
        Ok(()) => answer.await.unwrap_or_else(|_| ControlReply::Refused(ENDED.to_owned())),
        Err(mpsc::error::TrySendError::Full(_)) => ControlReply::Refused(format!("busy: {QUEUE} requests queued")),
        Err(mpsc::error::TrySendError::Closed(_)) => ControlReply::Refused(ENDED.to_owned()),
    }
}

const ENDED: &str = "the run ended before taking the request; nothing was journaled";

/// Why a request did not reach a running engine.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no run is serving {dir} (no {SOCKET} there); start one with `blotter run SCENARIO --journal {dir}`")]
    NoSocket { dir: String },
    #[error("no run is serving {dir}: {SOCKET} is left over from a run that stopped")]
    Stale { dir: String, source: std::io::Error },
    #[error("talking to the run at {path}")]
    Io { path: String, source: std::io::Error },
    #[error("the run at {path} answered something unreadable: {detail}")]
    BadReply { path: String, detail: String },
}

/// Sends `request` to the run serving the journal at `dir` and waits for its answer.
pub fn call(dir: &Path, request: &ControlRequest, timeout: Duration) -> Result<ControlReply, ControlError> {
    let path = dir.join(SOCKET);
    let shown = || path.display().to_string();
    let stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ControlError::NoSocket { dir: dir.display().to_string() });
        }
        Err(source) if source.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(ControlError::Stale { dir: dir.display().to_string(), source });
        }
        Err(source) => return Err(ControlError::Io { path: shown(), source }),
    };
    let io = |source| ControlError::Io { path: shown(), source };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut line = serde_json::to_vec(request).map_err(|e| io(e.into()))?;
    line.push(b'\n');
    (&stream).write_all(&line).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).map_err(io)?;
    serde_json::from_str(&answer).map_err(|e| ControlError::BadReply { path: shown(), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OperatorAction;

    fn request(action: OperatorAction) -> ControlRequest {
        ControlRequest { operator: "ops".into(), action, reason: "drill".into() }
    }

    #[tokio::test]
    async fn a_request_reaches_the_loop_and_its_answer_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let (socket, mut calls) = ControlSocket::bind(dir.path()).unwrap();
        assert!(socket.path().exists());
        let path = dir.path().to_owned();
        let client = tokio::task::spawn_blocking(move || call(&path, &request(OperatorAction::Halt), READ_TIMEOUT));
        let taken = calls.recv().await.unwrap();
        assert_eq!(taken.request, request(OperatorAction::Halt));
        let done = Intervention { seq: 7, last_seq: 8, ts_ns: 1, halted_before: None, halted_after: Some("x".into()) };
        taken.reply.send(ControlReply::Done(done.clone())).unwrap();
        assert_eq!(client.await.unwrap().unwrap(), ControlReply::Done(done));
        drop(socket);
        assert!(!dir.path().join(SOCKET).exists(), "the socket file is removed with the socket");
    }

    #[tokio::test]
    async fn bad_requests_and_ended_runs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_socket, calls) = ControlSocket::bind(dir.path()).unwrap();
        let path = dir.path().to_owned();
        let empty = ControlRequest { reason: " ".into(), ..request(OperatorAction::Resume) };
        let answer = tokio::task::spawn_blocking(move || call(&path, &empty, READ_TIMEOUT)).await.unwrap().unwrap();
        assert_eq!(answer, ControlReply::Refused("bad request: reason must not be empty".into()));
        let path = dir.path().to_owned();
        let controlled = ControlRequest { operator: "ops\n2".into(), ..request(OperatorAction::Resume) };
        let answer =
            tokio::task::spawn_blocking(move || call(&path, &controlled, READ_TIMEOUT)).await.unwrap().unwrap();
        let expected = r#"bad request: operator "ops\n2" holds a control character (U+000A)"#;
        assert_eq!(answer, ControlReply::Refused(expected.into()));
        drop(calls);
        let path = dir.path().to_owned();
        let answer = tokio::task::spawn_blocking(move || call(&path, &request(OperatorAction::Halt), READ_TIMEOUT));
        assert_eq!(answer.await.unwrap().unwrap(), ControlReply::Refused(ENDED.into()));
    }

    #[test]
    fn without_a_run_the_caller_is_told_so() {
        let dir = tempfile::tempdir().unwrap();
        let error = call(dir.path(), &request(OperatorAction::Halt), READ_TIMEOUT).unwrap_err();
        assert!(matches!(error, ControlError::NoSocket { .. }), "{error}");
        // A socket file nobody listens on: what a killed run leaves behind.
        drop(std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET)).unwrap());
        let error = call(dir.path(), &request(OperatorAction::Halt), READ_TIMEOUT).unwrap_err();
        assert!(matches!(error, ControlError::Stale { .. }), "{error}");
    }

    #[tokio::test]
    async fn a_leftover_socket_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        drop(std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET)).unwrap());
        let (socket, _calls) = ControlSocket::bind(dir.path()).unwrap();
        assert!(socket.path().exists());
    }
}
