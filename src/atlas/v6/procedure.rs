//! A case study's procedure in attack order, from its `employs` edges.

use std::collections::{HashMap, HashSet};

use crate::atlas::error::ImportWarning;
use crate::atlas::model::ProcedureStep;

/// One `employs` edge before the steps are put in attack order.
pub(crate) struct RawStep {
    pub step_id: String,
    pub leads_to: Vec<String>,
    pub path: String,
    pub step: ProcedureStep,
}

/// `S07` -> ("S", 7): step IDs sort by prefix, then number.
fn step_key(id: &str) -> (String, u64, String) {
    let digits_at = id
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(id.len(), |(i, _)| i);
    let number = id[digits_at..].parse::<u64>().unwrap_or(u64::MAX);
    (id[..digits_at].to_string(), number, id.to_string())
}

/// A case study's steps in attack order: the chain that starts at the step
/// no `leads-to` names and follows `leads-to`. Every step is returned exactly
/// once, whatever the chain looks like: at a branch the targets are followed
/// depth first in the order written, further starts and steps only reachable
/// inside a cycle follow in step-ID order. Anything other than one linear
/// chain is reported in `warnings` by case study, step ID and path.
pub(crate) fn order_steps(
    case_study: &str,
    mut steps: Vec<RawStep>,
    warnings: &mut Vec<ImportWarning>,
) -> Vec<ProcedureStep> {
    // Step-ID order first, so that every tie below is broken the same way
    // whatever order the file lists the edges in.
    steps.sort_by_cached_key(|s| step_key(&s.step_id));
    let mut warn = |step: &RawStep, message: String| {
        warnings.push(ImportWarning {
            case_study: Some(case_study.to_string()),
            step_id: Some(step.step_id.clone()),
            path: step.path.clone(),
            message,
        });
    };

    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(&first) = by_id.get(s.step_id.as_str()) {
            warn(
                s,
                format!(
                    "the step ID {} is also used at {}; both steps are kept, `leads-to` names the first",
                    s.step_id, steps[first].path
                ),
            );
        } else {
            by_id.insert(&s.step_id, i);
        }
    }

    // Resolved `leads-to` targets and who names each step.
    let mut next: Vec<Vec<usize>> = Vec::with_capacity(steps.len());
    let mut named_by: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        let mut targets = Vec::new();
        for t in &s.leads_to {
            match by_id.get(t.as_str()) {
                Some(&j) => {
                    if !targets.contains(&j) {
                        targets.push(j);
                        named_by[j].push(i);
                    }
                }
                None => warn(
                    s,
                    format!("`leads-to` names {t}, which is no step of this case study; ignored"),
                ),
            }
        }
        if targets.len() > 1 {
            let names: Vec<&str> = targets.iter().map(|&j| steps[j].step_id.as_str()).collect();
            warn(
                s,
                format!(
                    "the chain branches here (leads to {}); the branches are kept one after the other",
                    names.join(", ")
                ),
            );
        }
        next.push(targets);
    }
    for (j, from) in named_by.iter().enumerate() {
        if from.len() > 1 {
            let names: Vec<&str> = from.iter().map(|&i| steps[i].step_id.as_str()).collect();
            warn(
                &steps[j],
                format!("several steps lead here ({})", names.join(", ")),
            );
        }
    }

    let starts: Vec<usize> = (0..steps.len())
        .filter(|&j| named_by[j].is_empty())
        .collect();
    if starts.len() > 1 {
        let names: Vec<&str> = starts.iter().map(|&j| steps[j].step_id.as_str()).collect();
        warn(
            &steps[starts[1]],
            format!(
                "the chain has {} starts ({}): no other step leads to them; they are kept in step-ID order",
                starts.len(),
                names.join(", ")
            ),
        );
    }

    // Depth-first walks: from each start, then from any step left over (a
    // cycle that no start reaches).
    let mut visited = vec![false; steps.len()];
    let mut order: Vec<usize> = Vec::with_capacity(steps.len());
    let mut cycle_reported: HashSet<usize> = HashSet::new();
    let roots = starts.iter().copied().chain(0..steps.len());
    for root in roots {
        if visited[root] {
            continue;
        }
        let mut on_path = vec![false; steps.len()];
        // (step, index of the next target to follow)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        visited[root] = true;
        on_path[root] = true;
        order.push(root);
        while let Some((at, k)) = stack.pop() {
            if k < next[at].len() {
                stack.push((at, k + 1));
                let to = next[at][k];
                if on_path[to] {
                    if cycle_reported.insert(at) {
                        warnings.push(ImportWarning {
                            case_study: Some(case_study.to_string()),
                            step_id: Some(steps[at].step_id.clone()),
                            path: steps[at].path.clone(),
                            message: format!(
                                "`leads-to` goes back to {}: the chain is a cycle; every step is kept once",
                                steps[to].step_id
                            ),
                        });
                    }
                } else if !visited[to] {
                    visited[to] = true;
                    on_path[to] = true;
                    order.push(to);
                    stack.push((to, 0));
                }
            } else {
                on_path[at] = false;
            }
        }
    }
    if starts.is_empty() && !steps.is_empty() {
        warnings.push(ImportWarning {
            case_study: Some(case_study.to_string()),
            step_id: Some(steps[0].step_id.clone()),
            path: steps[0].path.clone(),
            message: "every step is named by another step's `leads-to`, so the chain has no start; it is read from the lowest step ID".to_string(),
        });
    }

    let mut slots: Vec<Option<RawStep>> = steps.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots[i].take().map(|s| s.step))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, leads_to: &[&str], technique: &str) -> RawStep {
        RawStep {
            step_id: id.to_string(),
            leads_to: leads_to.iter().map(|s| s.to_string()).collect(),
            path: format!("relationships[AML.CS0001].employs[{id}]"),
            step: ProcedureStep {
                tactic: "AML.TA0002".into(),
                technique: technique.into(),
                description: Some(id.to_string()),
            },
        }
    }

    fn run(steps: Vec<RawStep>) -> (Vec<String>, Vec<ImportWarning>) {
        let mut warnings = Vec::new();
        let order = order_steps("AML.CS0001", steps, &mut warnings);
        (
            order.into_iter().filter_map(|s| s.description).collect(),
            warnings,
        )
    }

    #[test]
    fn a_linear_chain_listed_in_any_order() {
        let (order, warnings) = run(vec![
            raw("S02", &["S03"], "AML.T0000"),
            raw("S03", &[], "AML.T0000"),
            raw("S00", &["S01"], "AML.T0051"),
            raw("S01", &["S02"], "AML.T0000"),
        ]);
        assert_eq!(order, ["S00", "S01", "S02", "S03"]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn ten_steps_and_more_sort_by_number() {
        let mut steps: Vec<RawStep> = (0..12)
            .map(|i| {
                let next = format!("S{:02}", i + 1);
                let leads: Vec<&str> = if i < 11 { vec![next.as_str()] } else { vec![] };
                raw(&format!("S{i:02}"), &leads, "AML.T0000")
            })
            .collect();
        steps.reverse();
        let (order, warnings) = run(steps);
        let want: Vec<String> = (0..12).map(|i| format!("S{i:02}")).collect();
        assert_eq!(order, want);
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_branch_keeps_every_step_and_is_reported() {
        let (order, warnings) = run(vec![
            raw("S00", &["S01", "S02"], "AML.T0000"),
            raw("S01", &["S03"], "AML.T0000"),
            raw("S02", &["S03"], "AML.T0000"),
            raw("S03", &[], "AML.T0000"),
        ]);
        assert_eq!(order, ["S00", "S01", "S03", "S02"]);
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|w| w.starts_with(
                "case study AML.CS0001 step S00 (relationships[AML.CS0001].employs[S00])"
            ) && w.contains("branches")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|w| w.contains("step S03") && w.contains("several steps lead here")),
            "{text:?}"
        );
    }

    #[test]
    fn a_cycle_keeps_every_step_and_is_reported() {
        let (order, warnings) = run(vec![
            raw("S00", &["S01"], "AML.T0000"),
            raw("S01", &["S02"], "AML.T0000"),
            raw("S02", &["S00"], "AML.T0000"),
        ]);
        assert_eq!(order, ["S00", "S01", "S02"]);
        assert!(
            warnings
                .iter()
                .any(|w| w.step_id.as_deref() == Some("S02") && w.message.contains("cycle")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.message.contains("no start")),
            "{warnings:?}"
        );
        // A cycle hanging off a linear start.
        let (order, warnings) = run(vec![
            raw("S00", &["S01"], "AML.T0000"),
            raw("S01", &["S02"], "AML.T0000"),
            raw("S02", &["S01"], "AML.T0000"),
        ]);
        assert_eq!(order, ["S00", "S01", "S02"]);
        assert!(warnings.iter().any(|w| w.message.contains("cycle")));
    }

    #[test]
    fn dangling_and_duplicate_step_ids() {
        let (order, warnings) = run(vec![
            raw("S00", &["S07"], "AML.T0000"),
            raw("S01", &[], "AML.T0000"),
            raw("S01", &[], "AML.T0051"),
        ]);
        assert_eq!(order.len(), 3, "no step is dropped");
        assert!(
            warnings
                .iter()
                .any(|w| w.step_id.as_deref() == Some("S00") && w.message.contains("S07"))
        );
        assert!(warnings.iter().any(|w| w.message.contains("also used")));
        assert!(warnings.iter().any(|w| w.message.contains("starts")));
    }
}
