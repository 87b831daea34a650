//! The collision check of a laid-out story: labels inside the canvas and
//! their boxes, no two nodes or labels overlapping, no arrow through a label.

use super::geometry::Rect;
use super::layout::StoryLayout;
use super::text::Label;

impl StoryLayout {
    /// Every label of the picture with the node it is drawn inside, if any.
    fn owned_labels(&self) -> Vec<(Option<usize>, &Label)> {
        let mut all: Vec<(Option<usize>, &Label)> = Vec::new();
        let free = |l| (None, l);
        all.extend(self.heading.iter().map(free));
        all.extend(self.gutter_heads.iter().map(free));
        for lane in &self.lanes {
            all.extend(lane.labels.iter().map(free));
        }
        for (i, node) in self.nodes.iter().enumerate() {
            all.extend(node.inner_labels().map(|l| (Some(i), l)));
            all.extend(node.time_labels.iter().map(free));
            all.extend(node.milestone_labels.iter().map(free));
        }
        all.extend(self.legend_title.iter().map(free));
        all.extend(self.legend.iter().map(|l| (None, &l.label)));
        all.extend(self.empty.iter().map(free));
        all
    }

    /// Every label of the picture.
    pub fn labels(&self) -> Vec<&Label> {
        self.owned_labels().into_iter().map(|(_, l)| l).collect()
    }

    /// What is wrong with the geometry, in words; empty when every label
    /// lies inside the canvas (and a node's labels inside the node, a lane's
    /// inside its header), no two nodes or labels overlap, no label overlaps
    /// a node other than its own, each node sits in its tactic's lane, and
    /// no arrow runs through a node or a label.
    pub fn collisions(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let canvas = self.canvas();
        for l in self.labels() {
            if !canvas.contains(&l.bbox()) {
                problems.push(format!("label {:?} leaves the canvas", l.text));
            }
        }
        for lane in &self.lanes {
            for l in &lane.labels {
                if !lane.head_rect().contains(&l.bbox()) {
                    problems.push(format!("lane label {:?} leaves its header", l.text));
                }
            }
        }
        for (i, a) in self.nodes.iter().enumerate() {
            let ra = a.rect();
            if !canvas.contains(&ra) {
                problems.push(format!("node {} leaves the canvas", a.number));
            }
            let lane = &self.lanes[a.lane];
            if ra.x < f64::from(lane.x) || ra.right() > f64::from(lane.x + lane.width) {
                problems.push(format!("node {} leaves its lane", a.number));
            }
            for l in a.inner_labels() {
                if !ra.contains(&l.bbox()) {
                    problems.push(format!("label {:?} leaves node {}", l.text, a.number));
                }
            }
            if !ra.contains(&a.icon.bbox()) {
                problems.push(format!("the icon leaves node {}", a.number));
            }
            for b in &self.nodes[i + 1..] {
                if ra.overlaps(&b.rect()) {
                    problems.push(format!("nodes {} and {} overlap", a.number, b.number));
                }
            }
        }
        let owned = self.owned_labels();
        for (i, (owner_a, a)) in owned.iter().enumerate() {
            let ba = a.bbox();
            for (_, b) in &owned[i + 1..] {
                if ba.overlaps(&b.bbox()) {
                    problems.push(format!("labels {:?} and {:?} overlap", a.text, b.text));
                }
            }
            for (j, n) in self.nodes.iter().enumerate() {
                if *owner_a != Some(j) && ba.overlaps(&n.rect()) {
                    problems.push(format!("label {:?} overlaps node {}", a.text, n.number));
                }
            }
        }
        for arrow in &self.arrows {
            for seg in arrow.points.windows(2) {
                let (x1, y1) = seg[0];
                let (x2, y2) = seg[1];
                let r = Rect::new(
                    f64::from(x1.min(x2)) - 0.5,
                    f64::from(y1.min(y2)),
                    f64::from((x1 - x2).abs()) + 1.0,
                    f64::from((y1 - y2).abs()) + 0.5,
                );
                let r = if y1 == y2 {
                    Rect::new(r.x, f64::from(y1) - 0.5, r.w, 1.0)
                } else {
                    r
                };
                for (_, l) in &owned {
                    if r.overlaps(&l.bbox()) {
                        problems.push(format!(
                            "arrow {}→{} crosses label {:?}",
                            arrow.from, arrow.to, l.text
                        ));
                    }
                }
                for n in &self.nodes {
                    if n.number != arrow.from && n.number != arrow.to && r.overlaps(&n.rect()) {
                        problems.push(format!(
                            "arrow {}→{} crosses node {}",
                            arrow.from, arrow.to, n.number
                        ));
                    }
                }
            }
        }
        problems
    }
}
