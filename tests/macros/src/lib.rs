//! `#[db_test]`: one test function, run once per database backend.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn};

/// Turns `async fn name(db: TestDb) { … }` into the module `name` with two tests,
/// `name::sqlite` and `name::postgres`, each on a fresh database of its own.
///
/// An attribute (rather than a `macro_rules!` block around many tests) keeps the test bodies
/// ordinary items, so rustfmt formats them.
#[proc_macro_attribute]
pub fn db_test(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut function = parse_macro_input!(item as ItemFn);
    if function.sig.asyncness.is_none() || function.sig.inputs.len() != 1 {
        return syn::Error::new_spanned(
            &function.sig,
            "#[db_test] expects `async fn name(db: TestDb)`",
        )
        .to_compile_error()
        .into();
    }
    let name = function.sig.ident.clone();
    let attrs = std::mem::take(&mut function.attrs);
    function.sig.ident = syn::Ident::new("body", name.span());
    quote! {
        #(#attrs)*
        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #function

            #[actix_web::test]
            async fn sqlite() {
                ::studio_tests::run_test(::studio_tests::Backend::Sqlite, body).await
            }

            #[actix_web::test]
            async fn postgres() {
                ::studio_tests::run_test(::studio_tests::Backend::Postgres, body).await
            }
        }
    }
    .into()
}
