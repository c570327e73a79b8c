//! The one table `cargo xtask bench` prints: scenario × metric, direct and Studio side by side.

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

pub fn render(rows: &[Row]) -> String {
    const HEADER: [&str; 6] = ["scenario", "metric", "direct", "studio", "target", "met"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.scenario.to_owned(),
                r.metric.to_owned(),
                r.unit.show(r.direct),
                r.unit.show(r.studio),
                r.target_text(),
                met_text(r),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let [scenario, metric, direct, studio, target, met] = cells;
        let [w0, w1, w2, w3, w4, _] = widths;
        format!(
            "{scenario:<w0$}  {metric:<w1$}  {direct:>w2$}  {studio:>w3$}  {target:<w4$}  {met}"
        )
        .trim_end()
        .to_owned()
    };
    let mut out = vec![line(HEADER)];
    out.push("-".repeat(widths.iter().sum::<usize>() + 10));
    let mut previous = "";
    for row in &cells {
        let [scenario, metric, direct, studio, target, met] = row.each_ref().map(String::as_str);
        // The scenario is named on its first row only.
        let shown = if scenario == previous { "" } else { scenario };
        out.push(line([shown, metric, direct, studio, target, met]));
        previous = scenario;
    }
    let checked: Vec<bool> = rows.iter().filter_map(Row::met).collect();
    let met = checked.iter().filter(|&&m| m).count();
    out.push(format!("targets met: {met} of {}", checked.len()));
    out.join("\n")
}
