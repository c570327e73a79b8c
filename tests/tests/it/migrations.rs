//! Start-up migrations: the SQLite file appears, concurrent instances agree, a newer schema is refused.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use studio_core::{config::DatabaseTarget, db};
use studio_tests::{db_test, Backend, TestApp, TestDb};

#[db_test]
async fn two_instances_starting_together_both_come_up(db: TestDb) {
    let (first, second) = futures_util::join!(
        studio_gateway::Application::build(TestApp::config(&db, &[]).unwrap(), vec![]),
        studio_gateway::Application::build(TestApp::config(&db, &[]).unwrap(), vec![]),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.port(), second.port());
    // Both are migrated; running again applies nothing.
    let target = TestApp::config(&db, &[]).unwrap().database;
    assert!(db::run_migrations(&target).await.unwrap().is_empty());
    for app in [first, second] {
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        handle.stop(false).await;
    }
}

#[db_test]
async fn a_schema_newer_than_the_binary_stops_start_up(db: TestDb) {
    let target = TestApp::config(&db, &[]).unwrap().database;
    db::run_migrations(&target).await.unwrap();
    let insert = "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')";
    match (&target, db.backend) {
        (DatabaseTarget::Postgres(url), Backend::Postgres) => {
            AsyncPgConnection::establish(url)
                .await
                .unwrap()
                .batch_execute(insert)
                .await
                .unwrap();
        }
        (DatabaseTarget::Sqlite(path), Backend::Sqlite) => {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            diesel::sql_query(insert).execute(&mut conn).unwrap();
        }
        _ => unreachable!(),
    }
    let error = studio_gateway::Application::build(TestApp::config(&db, &[]).unwrap(), vec![])
        .await
        .err()
        .expect("start-up refuses a newer schema");
    assert!(
        error.to_string().contains("newer than this binary"),
        "{error}"
    );
}

#[actix_web::test]
async fn the_default_sqlite_file_is_created_with_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/studio.db");
    let target = DatabaseTarget::Sqlite(path.clone());
    db::run_migrations(&target).await.unwrap();
    let pool = db::connect(&target, 2).await.unwrap();
    pool.ping().await.unwrap();
    assert!(path.exists());
}
