//! `embed_migrations!` reads `migrations/` at compile time but cannot tell cargo about a
//! migration directory added later; this does (diesel_migrations' documented advice).

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
