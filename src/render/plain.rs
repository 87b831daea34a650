//! ATLAS in business words, for leadership: what a tactic (a stage of an
//! attack) and a technique mean for the organisation, in a short phrase a
//! non-specialist understands. The ATLAS name and ID are always shown beside
//! the phrase, so nothing is lost in translation.
//!
//! Techniques not in the table fall back to their ATLAS name, introduced by
//! the plain meaning of their tactic ("Preparing the attack: Stage Capabilities").

use crate::atlas::ActiveAtlas;

/// The plain meaning of a tactic (a stage of the attack), by ATLAS ID.
pub fn stage(tactic_id: &str) -> Option<&'static str> {
    Some(match tactic_id {
        "AML.TA0002" => "researching the target",
        "AML.TA0003" => "preparing the attack",
        "AML.TA0004" => "getting in",
        "AML.TA0000" => "gaining access to the AI model",
        "AML.TA0005" => "running malicious code or instructions",
        "AML.TA0006" => "staying in",
        "AML.TA0012" => "gaining more permissions",
        "AML.TA0007" => "avoiding detection",
        "AML.TA0013" => "stealing credentials",
        "AML.TA0008" => "exploring our systems",
        "AML.TA0015" => "spreading to other systems",
        "AML.TA0009" => "gathering valuable data",
        "AML.TA0001" => "tailoring the attack to our AI",
        "AML.TA0014" => "remote control of compromised systems",
        "AML.TA0010" => "taking data out",
        "AML.TA0011" => "causing harm",
        _ => return None,
    })
}

/// "Exfiltration (taking data out)", or the tactic's name alone.
pub fn stage_words(atlas: &ActiveAtlas, tactic_id: &str) -> String {
    let name = atlas
        .tactic(tactic_id)
        .map_or_else(|| tactic_id.to_string(), |t| t.name.clone());
    match stage(tactic_id) {
        Some(plain) => format!("{name} ({plain})"),
        None => name,
    }
}

/// The plain meaning of a technique, by ATLAS ID (a sub-technique uses its parent's).
pub fn technique(technique_id: &str) -> Option<&'static str> {
    let top = technique_id.get(..9).unwrap_or(technique_id);
    Some(match top {
        "AML.T0000" => "Reading our published research to plan an attack",
        "AML.T0001" => "Looking up known weaknesses of AI systems",
        "AML.T0002" => "Obtaining public AI models or data to prepare the attack",
        "AML.T0003" => "Studying our websites for targets",
        "AML.T0004" => "Studying our published apps for targets",
        "AML.T0005" => "Building a copy of our AI model to rehearse the attack",
        "AML.T0006" => "Scanning our systems from outside",
        "AML.T0007" => "Finding our AI models and data files",
        "AML.T0008" => "Setting up attack infrastructure",
        "AML.T0010" => "Compromising third-party AI components we rely on",
        "AML.T0011" => "Tricking a user into running something harmful",
        "AML.T0012" => "Logging in with real but misused accounts",
        "AML.T0013" => "Probing what our AI model can recognise",
        "AML.T0014" => "Working out which kind of AI model we use",
        "AML.T0015" => "Fooling an AI model so an attack goes unnoticed",
        "AML.T0016" => "Acquiring ready-made attack tools",
        "AML.T0017" => "Building custom attack tools",
        "AML.T0018" => "Tampering with an AI model so it misbehaves on cue",
        "AML.T0019" => "Publishing poisoned data sets for others to use",
        "AML.T0020" => "Corrupting the data our AI learns from",
        "AML.T0021" => "Creating accounts to use in the attack",
        "AML.T0024" => "Extracting data or the model itself through the AI service",
        "AML.T0025" => "Stealing data through conventional hacking",
        "AML.T0029" => "Knocking our AI service offline",
        "AML.T0031" => "Wearing down our AI model's accuracy over time",
        "AML.T0034" => "Running up the costs of our AI service",
        "AML.T0035" => "Collecting our AI models and data",
        "AML.T0036" => "Taking data from internal document stores",
        "AML.T0037" => "Taking data from a compromised computer",
        "AML.T0040" => "Using our AI service's public interface",
        "AML.T0041" => "Physical access to where the AI operates",
        "AML.T0042" => "Testing the attack before using it",
        "AML.T0043" => "Crafting inputs designed to fool an AI model",
        "AML.T0044" => "Gaining full access to an AI model",
        "AML.T0046" => "Flooding the AI system with junk input",
        "AML.T0047" => "Using an AI-powered product as the way in",
        "AML.T0048" => "Harm to customers, finances or reputation",
        "AML.T0049" => "Exploiting an internet-facing application",
        "AML.T0050" => "Running commands on our systems",
        "AML.T0051" => "Hijacking an AI assistant with hidden instructions",
        "AML.T0052" => "Deceptive messages that trick staff",
        "AML.T0053" => "Making an AI agent misuse its tools",
        "AML.T0054" => "Talking an AI model out of its safety rules",
        "AML.T0055" => "Finding passwords and keys left unprotected",
        "AML.T0056" => "Extracting an AI assistant's hidden instructions",
        "AML.T0057" => "An AI assistant revealing confidential data",
        "AML.T0058" => "Publishing tampered AI models for others to use",
        "AML.T0059" => "Corrupting the data sets we rely on",
        "AML.T0060" => "Planting fake packages or sites that AI tools invent",
        "AML.T0061" => "Prompts that copy themselves between AI systems",
        "AML.T0062" => "Finding things our AI makes up",
        "AML.T0063" => "Studying our AI's answers for weaknesses",
        "AML.T0064" => "Finding the sources our AI searches",
        "AML.T0065" => "Writing prompts that make an AI misbehave",
        "AML.T0066" => "Writing content meant to be picked up by our AI",
        "AML.T0067" => "Making AI answers look more trustworthy than they are",
        "AML.T0068" => "Hiding malicious instructions from filters",
        "AML.T0069" => "Learning how our AI assistant is set up",
        "AML.T0070" => "Planting misleading content where our AI looks things up",
        "AML.T0071" => "Adding false entries to what our AI looks up",
        "AML.T0072" => "Opening a remote connection back to the attacker",
        "AML.T0073" => "Pretending to be a trusted person or service",
        "AML.T0074" => "Disguising malicious files or actions as legitimate",
        "AML.T0075" => "Exploring our cloud services",
        "AML.T0076" => "Corrupting an AI model to hide an attack",
        "AML.T0077" => "Leaking data through how AI answers are displayed",
        "AML.T0078" => "Compromise through a visit to a booby-trapped website",
        "AML.T0079" => "Staging tools and content for the attack",
        "AML.T0080" => "Poisoning an AI agent's memory or context",
        "AML.T0081" => "Changing an AI agent's settings",
        "AML.T0082" => "Harvesting passwords through our AI's search",
        "AML.T0083" => "Taking credentials from an AI agent's settings",
        "AML.T0084" => "Learning how our AI agents are set up",
        "AML.T0085" => "Taking data through our AI services",
        "AML.T0086" => "Making an AI agent send data out",
        "AML.T0087" => "Gathering information about our staff",
        "AML.T0088" => "Creating fake audio, video or images of real people",
        "AML.T0089" => "Looking at what runs on a compromised computer",
        "AML.T0090" => "Dumping passwords from a compromised computer",
        "AML.T0091" => "Logging in with stolen session tokens or keys",
        "AML.T0092" => "Tampering with a user's AI chat history",
        "AML.T0093" => "Slipping instructions to our AI through a public website or app",
        "AML.T0094" => "AI instructions that lie in wait",
        "AML.T0095" => "Searching the web for information about us",
        "AML.T0096" => "Controlling compromised systems through an AI service",
        "AML.T0097" => "Detecting and dodging security sandboxes",
        "AML.T0098" => "Harvesting credentials through an AI agent's tools",
        "AML.T0099" => "Poisoning the data an AI agent's tools return",
        "AML.T0100" => "Luring an AI agent into clicking malicious links",
        "AML.T0101" => "Making an AI agent destroy data",
        "AML.T0102" => "Getting AI to write malicious commands",
        "AML.T0103" => "Running the attacker's own AI agent on our systems",
        "AML.T0104" => "Publishing booby-trapped tools for AI agents",
        "AML.T0105" => "Breaking out of an isolated environment",
        "AML.T0106" => "Exploiting a flaw to obtain credentials",
        "AML.T0107" => "Exploiting a flaw to switch off defences",
        "AML.T0108" => "Using an AI agent to control compromised systems",
        "AML.T0109" => "A trusted AI component turning malicious after adoption",
        "AML.T0110" => "Poisoning the tools an AI agent uses",
        "AML.T0111" => "Faking the popularity of a malicious AI component",
        "AML.T0112" => "Taking over a computer",
        _ => return None,
    })
}

/// A technique for leadership: the plain phrase, or (when the table has
/// none) the ATLAS name introduced by its tactic's plain meaning.
pub fn technique_words(atlas: &ActiveAtlas, technique_id: &str, tactic_id: &str) -> String {
    if let Some(plain) = technique(technique_id) {
        return plain.to_string();
    }
    let name = atlas
        .technique(technique_id)
        .map_or_else(|| technique_id.to_string(), |t| atlas.display_name(t));
    match stage(tactic_id) {
        Some(s) => {
            let mut s = s.to_string();
            if let Some(first) = s.get(..1) {
                let upper = first.to_uppercase();
                s.replace_range(..1, &upper);
            }
            format!("{s}: {name}")
        }
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tactic_of_the_embedded_release_has_plain_words() {
        let release = crate::atlas::catalog::embedded_release();
        for t in &release.tactics {
            assert!(
                stage(&t.id).is_some(),
                "{} {} has no plain words",
                t.id,
                t.name
            );
        }
    }

    #[test]
    fn every_top_level_technique_of_the_embedded_release_has_plain_words() {
        let release = crate::atlas::catalog::embedded_release();
        let missing: Vec<String> = release
            .techniques
            .iter()
            .filter(|t| t.parent.is_none() && technique(&t.id).is_none())
            .map(|t| format!("{} {}", t.id, t.name))
            .collect();
        assert!(missing.is_empty(), "no plain words for {missing:?}");
    }

    #[test]
    fn sub_techniques_use_their_parent() {
        assert_eq!(technique("AML.T0051.001"), technique("AML.T0051"));
        assert_eq!(technique("AML.T9999"), None);
    }
}
