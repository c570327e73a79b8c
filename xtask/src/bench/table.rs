//! The one table `cargo xtask bench` prints: scenario × metric, direct, nginx (the limit) and
//! Studio side by side.

use super::row::{Row, Target};

fn met_text(row: &Row) -> String {
    let verdict = match row.met() {
        None if row.target.is_some() => "n/a",
        None => return String::new(),
        Some(true) => "yes",
        Some(false) => "NO",
    };
    match (row.target, row.direct, row.studio) {
        (Some(Target::ShareOfDirect(_)), Some(d), Some(s)) if d > 0.0 => {
            format!("{verdict} ({:.0}%)", s / d * 100.0)
        }
        _ => verdict.into(),
    }
}

/// The table; the nginx column only when some row has an nginx number.
pub fn render(rows: &[Row]) -> String {
    let with_nginx = rows.iter().any(|r| r.nginx.is_some());
    let header = [
        "scenario", "metric", "direct", "nginx", "studio", "target", "met",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.scenario.to_owned(),
                r.metric.to_owned(),
                r.unit.show(r.direct),
                r.unit.show(r.nginx),
                r.unit.show(r.studio),
                r.target_text(),
                met_text(r),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let [scenario, metric, direct, nginx, studio, target, met] = cells;
        let [w0, w1, w2, w3, w4, w5, _] = widths;
        let nginx = if with_nginx {
            format!("{nginx:>w3$}  ")
        } else {
            String::new()
        };
        format!(
            "{scenario:<w0$}  {metric:<w1$}  {direct:>w2$}  {nginx}{studio:>w4$}  {target:<w5$}  {met}"
        )
        .trim_end()
        .to_owned()
    };
    let mut out = vec![line(header)];
    let nginx_width = if with_nginx { widths[3] + 2 } else { 0 };
    out.push("-".repeat(widths.iter().sum::<usize>() - widths[3] + nginx_width + 10));
    let mut previous = "";
    for row in &cells {
        let [scenario, metric, direct, nginx, studio, target, met] =
            row.each_ref().map(String::as_str);
        // The scenario is named on its first row only.
        let shown = if scenario == previous { "" } else { scenario };
        out.push(line([shown, metric, direct, nginx, studio, target, met]));
        previous = scenario;
    }
    let checked: Vec<bool> = rows.iter().filter_map(Row::met).collect();
    let met = checked.iter().filter(|&&m| m).count();
    out.push(format!("targets met: {met} of {}", checked.len()));
    out.join("\n")
}
