#include "server/s3_error.hpp"

#include <pipewright/util/text.hpp>

#include "store/ids.hpp"

namespace pw::sandbox {

Response s3_xml(std::string body, unsigned status) {
  Response r;
  r.status = status;
  r.content_type = "application/xml";
  r.body = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  r.body += '\n';
  r.body += body;
  return r;
}

Response s3_error(unsigned status, std::string_view code, std::string_view message,
                  std::string_view resource) {
  std::string body = "<Error><Code>" + util::xml_escape(code) + "</Code><Message>" +
                     util::xml_escape(message) + "</Message>";
  if (!resource.empty()) body += "<Resource>" + util::xml_escape(resource) + "</Resource>";
  body += "<RequestId>" + random_hex(16) + "</RequestId></Error>";
  return s3_xml(std::move(body), status);
}

}  // namespace pw::sandbox
