//! Printing clients as a table (Hydra's columns) or JSON, and the table helper the
//! other resources' commands share.

use portunus_sdk::types::OAuth2Client;

use crate::cli::OutputFormat;

const COLUMNS: [&str; 8] = [
    "CLIENT ID",
    "CLIENT SECRET",
    "GRANT TYPES",
    "RESPONSE TYPES",
    "SCOPE",
    "AUDIENCE",
    "REDIRECT URIS",
    "NAME",
];

fn row(client: &OAuth2Client) -> [String; 8] {
    let list = |v: &Option<Vec<String>>| v.as_deref().unwrap_or_default().join(", ");
    [
        client.client_id.clone().unwrap_or_default(),
        client.client_secret.clone().unwrap_or_default(),
        list(&client.grant_types),
        list(&client.response_types),
        client.scope.clone().unwrap_or_default(),
        list(&client.audience),
        list(&client.redirect_uris),
        client.client_name.clone().unwrap_or_default(),
    ]
}

/// Renders clients; `single` prints one object rather than an array in JSON formats.
pub fn render(
    clients: &[OAuth2Client],
    format: OutputFormat,
    single: bool,
) -> anyhow::Result<String> {
    let json = |pretty: bool| -> anyhow::Result<String> {
        let value = if single && clients.len() == 1 {
            serde_json::to_value(&clients[0])?
        } else {
            serde_json::to_value(clients)?
        };
        Ok(if pretty {
            serde_json::to_string_pretty(&value)?
        } else {
            serde_json::to_string(&value)?
        })
    };
    match format {
        OutputFormat::Json => json(false),
        OutputFormat::JsonPretty => json(true),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = clients.iter().map(|c| row(c).to_vec()).collect();
            Ok(table(&COLUMNS, &rows))
        }
    }
}

/// A tab-separated table with a header, each column as wide as its widest cell.
pub fn table(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("\t")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(columns.to_vec())];
    for r in rows {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// Writes `text` to standard output. A closed pipe (`portunus list clients | head -n 1`)
/// ends the output quietly instead of panicking, as `print!` does.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// `println!` through `print_text`: returns early with the error, if any.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print_text(&format!("{}\n", format_args!($($arg)*)))?
    };
}
pub(crate) use out;
