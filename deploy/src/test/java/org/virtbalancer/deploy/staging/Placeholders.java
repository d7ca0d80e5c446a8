package org.virtbalancer.deploy.staging;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the deployment guide writes (kafka-1:9093, kvm-1, /opt/virt-balancer, 10.0.0.11, …) and what
 * stands for it on this machine: replaced longest first, so that {@code 10.0.0.11:5701} wins over
 * {@code 10.0.0.11} and {@code qemu+tls://kvm-1.example/system} over {@code kvm-1}.
 */
final class Placeholders {
    private final Map<String, String> map = new LinkedHashMap<>();

    Placeholders put(String placeholder, String value) {
        map.put(placeholder, value);
        return this;
    }

    /** These and {@code more}, {@code more} winning. */
    Placeholders with(Placeholders more) {
        Placeholders p = new Placeholders();
        p.map.putAll(map);
        p.map.putAll(more.map);
        return p;
    }

    String apply(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        var keys = map.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        outer:
        while (i < text.length()) {
            for (String k : keys) {
                if (text.startsWith(k, i)) {
                    out.append(map.get(k));
                    i += k.length();
                    continue outer;
                }
            }
            out.append(text.charAt(i++));
        }
        return out.toString();
    }
}
